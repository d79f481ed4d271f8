"""Password reset by email on a tenant host, failing loudly.

Django's own view says "we've emailed you instructions" whatever happened: its form logs a failed send and carries
on, and with no mail server configured every send fails. Here a reset either sends its mail or answers 503 with a
message on the form: when no mailer is configured (MAILERS empty: EMAIL_URL unset and DEBUG off) for every address,
before any lookup; when the backend refuses the mail (SMTP down) for the address of a user, logged with the tenant.
"""

import logging

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordResetForm
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.mail.handler import DEFAULT_MAILER_ALIAS
from django.db import connection
from django.http import HttpResponse
from django.template import loader

logger = logging.getLogger(__name__)

NOT_CONFIGURED = "Password reset by email is not available on this server: ask your administrator to reset it."
SEND_FAILED = "The email could not be sent just now. Try again in a few minutes, or ask your administrator."


class MailNotSent(Exception):
    pass


class LoudPasswordResetForm(PasswordResetForm):
    def clean(self) -> dict:
        cleaned = super().clean()
        # A missing or malformed address stays a 400 of its own; any well-formed one learns mail is unavailable.
        if "email" in cleaned and DEFAULT_MAILER_ALIAS not in mail.mailers:
            raise forms.ValidationError(NOT_CONFIGURED, code="email_not_configured")
        return cleaned

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ) -> None:
        # Django's version, without the `except Exception: log and carry on`.
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = EmailMultiAlternatives(subject, body, from_email, [to_email])
        if html_email_template_name is not None:
            message.attach_alternative(loader.render_to_string(html_email_template_name, context), "text/html")
        try:
            message.send()
        except Exception as exc:
            logger.exception(
                "password-reset mail to user %s of tenant %s was not sent", context["user"].pk, connection.schema_name
            )
            raise MailNotSent(str(exc)) from exc


class PasswordResetView(auth_views.PasswordResetView):
    form_class = LoudPasswordResetForm

    def form_valid(self, form) -> HttpResponse:
        try:
            return super().form_valid(form)
        except MailNotSent:
            form.add_error("email", SEND_FAILED)
            return self.render_to_response(self.get_context_data(form=form), status=503)

    def form_invalid(self, form) -> HttpResponse:
        status = 503 if form.has_error("__all__", "email_not_configured") else 400
        if status == 503:  # the admin template shows field errors only
            form.add_error("email", NOT_CONFIGURED)
        return self.render_to_response(self.get_context_data(form=form), status=status)
