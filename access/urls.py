from django.urls import path

from access import views

app_name = "access"
urlpatterns = [
    path("", views.user_list, name="user-list"),
    path("invite/", views.user_invite, name="user-invite"),
    path("<int:pk>/role/", views.user_role, name="user-role"),
    path("<int:pk>/active/", views.user_active, name="user-active"),
    path("<int:pk>/password-reset/", views.user_password_reset, name="user-password-reset"),
    path("api-keys/", views.api_key_list, name="api-key-list"),
    path("api-keys/<int:pk>/revoke/", views.api_key_revoke, name="api-key-revoke"),
]
