"""Forms of the users and API keys pages; each calls one access service."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from access import services
from access.models import ApiKey
from access.roles import Role
from core.forms import ServiceForm


class InviteForm(ServiceForm):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(required=False)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.READ_ONLY)

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(f"a user named {username} already exists")
        return username

    def call_service(self, user: AbstractBaseUser) -> services.SetPasswordLink:
        data = self.cleaned_data
        return services.user_invite(
            username=data["username"],
            email=data["email"],
            role=data["role"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            by=user,
        )


class ApiKeyForm(ServiceForm):
    name = forms.CharField(max_length=100, help_text="What the key is for, e.g. 'warehouse scanner sync'.")
    scope = forms.ChoiceField(choices=ApiKey.Scope.choices, initial=ApiKey.Scope.READ_ONLY)
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), help_text="The key acts as this user, with their role."
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")

    def call_service(self, user: AbstractBaseUser) -> services.NewApiKey:
        data = self.cleaned_data
        return services.api_key_create(name=data["name"], scope=data["scope"], user=data["user"], created_by=user)
