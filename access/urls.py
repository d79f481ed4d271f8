from django.urls import path

from access import views

app_name = "access"
urlpatterns = [
    path("", views.user_list, name="user-list"),
    path("<int:pk>/role/", views.user_role, name="user-role"),
]
