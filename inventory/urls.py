from django.urls import path

from inventory import views

app_name = "inventory"
urlpatterns = [
    path("", views.item_list, name="item-list"),
    path("scan/", views.scan, name="scan"),
    path("scan/stock/", views.item_stock, name="item-stock"),
    path("items/export.csv", views.item_export, name="item-export"),
    path("items/<int:pk>/", views.item_detail, name="item-detail"),
    path("items/new/", views.item_new, name="item-new"),
    path("items/<int:pk>/edit/", views.item_edit, name="item-edit"),
    path("items/pick/", views.item_picker, name="item-picker"),
    path("stock/<slug:kind>/", views.move_form, name="move-form"),
    path("moves/<int:pk>/reverse/", views.move_reverse, name="move-reverse"),
    path("locations/", views.location_list, name="location-list"),
    path("locations/new/", views.location_new, name="location-new"),
    path("locations/<int:pk>/edit/", views.location_edit, name="location-edit"),
    path("reorder/", views.reorder_report, name="reorder-report"),
    path("valuation/", views.valuation_report, name="valuation"),
    path("lots/", views.lot_list, name="lot-list"),
    path("lots/<int:pk>/", views.lot_detail, name="lot-detail"),
    path("lots/<int:pk>/recall.csv", views.lot_recall_csv, name="lot-recall-csv"),
    path("imports/new/", views.import_new, name="import-new"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
]
