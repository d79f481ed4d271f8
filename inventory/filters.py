"""django-filter filter sets for the inventory API."""

import django_filters
from django.db.models import Q, QuerySet

from inventory.models import Item, Location, Lot, StockLevel, StockMove
from inventory.selectors import below_reorder_item_ids


class ItemFilter(django_filters.FilterSet):
    uom = django_filters.CharFilter(field_name="uom__code", lookup_expr="iexact", label="Unit code")

    class Meta:
        model = Item
        fields = ["sku", "kind", "is_active", "uom"]


class LocationFilter(django_filters.FilterSet):
    class Meta:
        model = Location
        fields = ["kind", "parent", "is_active", "is_default_receiving"]


class StockLevelFilter(django_filters.FilterSet):
    below_reorder = django_filters.BooleanFilter(
        method="filter_below_reorder", label="Only items whose available + on order is below their reorder point"
    )

    class Meta:
        model = StockLevel
        fields = ["item", "location"]

    def filter_below_reorder(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        ids = below_reorder_item_ids()
        return queryset.filter(item_id__in=ids) if value else queryset.exclude(item_id__in=ids)


class StockMoveFilter(django_filters.FilterSet):
    location = django_filters.ModelChoiceFilter(
        queryset=Location.objects.all(), method="filter_location", label="Moves into or out of this location"
    )
    created_at = django_filters.IsoDateTimeFromToRangeFilter(label="Posted between (created_at_after, _before)")

    class Meta:
        model = StockMove
        fields = ["item", "location", "reason", "from_location", "to_location", "created_at"]

    def filter_location(self, queryset: QuerySet, name: str, value: Location | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(Q(from_location=value) | Q(to_location=value))


class LotFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(field_name="code", lookup_expr="iexact", label="Lot or serial number")
    expires_before = django_filters.DateFilter(field_name="expiry_date", lookup_expr="lt", label="Expires before")

    class Meta:
        model = Lot
        fields = ["item", "code", "is_serial", "expires_before"]
