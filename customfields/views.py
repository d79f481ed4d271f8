"""The tenant admin's custom-field pages: the definitions of every record kind, add, change, delete."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from access.permissions import capability_required
from access.roles import Capability
from core.pages import service_form_page
from customfields.forms import CustomFieldForm
from customfields.models import CustomField
from customfields.registry import ENTITIES
from customfields.services import custom_field_delete


@capability_required(Capability.ADMIN)
def field_list(request: HttpRequest) -> HttpResponse:
    fields = CustomField.objects.order_by("entity", "position", "key")
    groups = [(label, [f for f in fields if f.entity == entity]) for entity, label in ENTITIES.items()]
    return render(request, "customfields/field_list.html", {"groups": groups})


def _done(field: object) -> tuple[str, str]:
    assert isinstance(field, CustomField)
    return f"Saved custom field {field.label}.", reverse("customfields:field-list")


@capability_required(Capability.ADMIN)
def field_new(request: HttpRequest) -> HttpResponse:
    entity = request.GET.get("entity", "")
    form = CustomFieldForm(request.POST or None, initial={"entity": entity} if entity in ENTITIES else {})
    context = {"cancel_url": reverse("customfields:field-list")}
    return service_form_page(request, form, template="customfields/field_form.html", done=_done, context=context)


@capability_required(Capability.ADMIN)
def field_edit(request: HttpRequest, pk: int) -> HttpResponse:
    field = get_object_or_404(CustomField, pk=pk)
    form = CustomFieldForm(request.POST or None, instance=field)
    context = {"cancel_url": reverse("customfields:field-list"), "field": field}
    return service_form_page(request, form, template="customfields/field_form.html", done=_done, context=context)


@require_POST
@capability_required(Capability.ADMIN)
def field_delete(request: HttpRequest, pk: int) -> HttpResponse:
    field = get_object_or_404(CustomField, pk=pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, f"Tick the box to delete {field.label} and its values.")
        return redirect("customfields:field-edit", pk=field.pk)
    cleared = custom_field_delete(custom_field=field, user=request.user)
    messages.success(request, f"Deleted custom field {field.label}; {cleared} record(s) lost its value.")
    return redirect("customfields:field-list")
