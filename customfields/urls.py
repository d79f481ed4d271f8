from django.urls import path

from customfields import views

app_name = "customfields"
urlpatterns = [
    path("", views.field_list, name="field-list"),
    path("new/", views.field_new, name="field-new"),
    path("<int:pk>/edit/", views.field_edit, name="field-edit"),
    path("<int:pk>/delete/", views.field_delete, name="field-delete"),
]
