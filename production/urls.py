from django.urls import path

from production import views

app_name = "production"
urlpatterns = [
    path("", views.work_order_list, name="work-order-list"),
    path("work-orders/new/", views.work_order_new, name="work-order-new"),
    path("work-orders/<int:pk>/", views.work_order_detail, name="work-order-detail"),
    path("work-orders/<int:pk>/edit/", views.work_order_edit, name="work-order-edit"),
    path("work-orders/<int:pk>/<slug:action>/", views.work_order_action, name="work-order-action"),
    path("boms/", views.bom_list, name="bom-list"),
    path("boms/<int:pk>/", views.bom_detail, name="bom-detail"),
    path("boms/new/", views.bom_new, name="bom-new"),
    path("boms/<int:pk>/edit/", views.bom_edit, name="bom-edit"),
    path("boms/<int:pk>/activate/", views.bom_activate, name="bom-activate"),
    path("items/<int:item_id>/tree/", views.bom_tree, name="bom-tree"),
    path("costing/", views.cost_rollup_list, name="cost-rollup-list"),
    path("costing/<int:pk>/", views.cost_rollup_detail, name="cost-rollup-detail"),
]
