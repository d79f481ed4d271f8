"""The one flow of every create/edit page: show the form; on POST validate, call the service through the form and
redirect to the record, or show the form again (status 400) with each message by its field and what was typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from core.forms import ServiceForm


def service_form_page(
    request: HttpRequest,
    form: ServiceForm,
    *,
    template: str,
    done: Callable[[object], tuple[str, str]],
    context: dict | None = None,
) -> HttpResponse:
    """`done(record)` gives the success message and the URL to go to."""
    if request.method == "POST":
        if form.is_valid():
            record = form.submit(cast(AbstractBaseUser, request.user))  # the views require a signed-in user
            if record is not None and not form.errors:
                message, url = done(record)
                messages.success(request, message)
                return redirect(url)
        status = 400
    else:
        status = 200
    return render(request, template, {"form": form, **(context or {})}, status=status)


_ANY_ID = 987654321


def url_around_id(name: str) -> tuple[str, str]:
    """What comes before and after the id in URL `name` (which takes one id): a page of rows reverses once and writes
    each row's link as before + id + after, where a `{% url %}` per row costs a reverse per row."""
    before, after = reverse(name, args=[_ANY_ID]).split(str(_ANY_ID))
    return before, after
