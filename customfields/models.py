"""A tenant's custom-field definitions. The values live on the records themselves, in a JSONB column of each entity
(items: `Item.attributes`; partners and orders: `custom_fields`) with a GIN index (jsonb_path_ops)."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from customfields.registry import ENTITIES

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
TEXT_MAX_LENGTH = 500


class CustomField(models.Model):
    class Type(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        CHOICE = "choice", "Choice"
        YES_NO = "yes_no", "Yes/no"

    entity = models.CharField(max_length=20, choices=list(ENTITIES.items()))
    key = models.CharField(
        max_length=40,
        validators=[
            RegexValidator(
                KEY_PATTERN, "a key is a lowercase letter followed by letters, digits or _ (at most 40), e.g. colour"
            )
        ],
        help_text="Stored name, used by the API (custom_fields.<key>, ?cf_<key>=) and CSV (cf_<key>). Fixed once "
        "created.",
    )
    label = models.CharField(max_length=100)
    field_type = models.CharField("type", max_length=8, choices=Type.choices, default=Type.TEXT)
    required = models.BooleanField(default=False)
    choices = models.JSONField(default=list, blank=True, help_text="Choice: the allowed values, in order.")
    max_length = models.PositiveIntegerField(
        default=200, help_text=f"Text: the longest value (at most {TEXT_MAX_LENGTH} characters)."
    )
    min_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True, help_text="Number.")
    max_value = models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True, help_text="Number.")
    help_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in forms and lists (lowest first).")
    show_in_list = models.BooleanField(default=False, help_text="A column (and a filter) on the list page.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["entity", "position", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "key"],
                name="customfields_entity_key_unique",
                violation_error_message="This entity already has a custom field with this key.",
            ),
            models.CheckConstraint(condition=Q(max_length__gte=1), name="customfields_max_length_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{ENTITIES.get(self.entity, self.entity)}: {self.label} ({self.key})"
