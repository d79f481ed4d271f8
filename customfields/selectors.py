"""Reads by custom value, for any entity's queryset (the business apps pass their own)."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import QuerySet

from customfields.services import custom_value_filter


def with_custom_values(queryset: QuerySet, *, entity: str, column: str, params: Mapping[str, str]) -> QuerySet:
    """`queryset` narrowed by `?cf_<key>=value` parameters (others ignored): one JSONB containment on `column`
    (`column @> {"key": value, ...}`), which the column's GIN jsonb_path_ops index serves. The value is compared as
    stored (a number as its decimal string, yes/no as a bool); an undefined key or a value its type refuses is a
    DomainError on `cf_<key>`."""
    lookup = custom_value_filter(entity, params)
    return queryset.filter(**{f"{column}__contains": lookup}) if lookup else queryset
