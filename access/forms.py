"""Sign-in forms that say when the sign-in limits refused an attempt (access.signin) instead of "wrong password"."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from access import signin


class SignInLimitFormMixin:
    def get_invalid_login_error(self) -> ValidationError:
        refusal = signin.refusal_of(self.request)
        if refusal is not None:
            return ValidationError(refusal.message, code="signin_limited")
        return super().get_invalid_login_error()


class SignInForm(SignInLimitFormMixin, AuthenticationForm):
    """The login form of a tenant host (/accounts/login/)."""


class AdminSignInForm(SignInLimitFormMixin, AdminAuthenticationForm):
    """The login form of the tenant admin and of the operations admin (/admin/login/)."""
