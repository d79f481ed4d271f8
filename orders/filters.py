"""django-filter filter sets for the orders API and list pages."""

import django_filters
from django.db.models import QuerySet

from orders import selectors
from orders.models import Partner, PurchaseOrder, SalesOrder


class PartnerFilter(django_filters.FilterSet):
    class Meta:
        model = Partner
        fields = ["code", "is_customer", "is_supplier", "is_active"]


class SalesOrderFilter(django_filters.FilterSet):
    late = django_filters.BooleanFilter(method="filter_late", label="Open with a line past its promised date")

    class Meta:
        model = SalesOrder
        fields = ["status", "customer", "location"]

    def filter_late(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        late = selectors.late_sales_order_ids()
        return queryset.filter(pk__in=late) if value else queryset.exclude(pk__in=late)


class PurchaseOrderFilter(django_filters.FilterSet):
    late = django_filters.BooleanFilter(method="filter_late", label="Open with a line past its expected date")

    class Meta:
        model = PurchaseOrder
        fields = ["status", "supplier"]

    def filter_late(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        late = selectors.late_purchase_order_ids()
        return queryset.filter(pk__in=late) if value else queryset.exclude(pk__in=late)
