"""django-filter filter sets for the orders API and list pages."""

import django_filters
from django.db.models import QuerySet

from orders import selectors
from orders.models import Partner, PurchaseOrder, SalesOrder


class PartnerFilter(django_filters.FilterSet):
    class Meta:
        model = Partner
        fields = ["code", "is_customer", "is_supplier", "is_active"]


class _OrderFilter(django_filters.FilterSet):
    """`late`: open orders with a line past its `date_field` (promised or expected), or with none when false."""

    date_field = ""

    def filter_late(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        late = selectors.late_order_ids(self._meta.model, self.date_field)
        return queryset.filter(pk__in=late) if value else queryset.exclude(pk__in=late)


class SalesOrderFilter(_OrderFilter):
    date_field = "promised_date"
    late = django_filters.BooleanFilter(method="filter_late", label="Open with a line past its promised date")

    class Meta:
        model = SalesOrder
        fields = ["status", "customer", "location"]


class PurchaseOrderFilter(_OrderFilter):
    date_field = "expected_date"
    late = django_filters.BooleanFilter(method="filter_late", label="Open with a line past its expected date")

    class Meta:
        model = PurchaseOrder
        fields = ["status", "supplier"]
