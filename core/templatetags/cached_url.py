"""`{% url %}` with its answers remembered per process: a builtin of the template engine (settings.TEMPLATES), so
every template's `{% url %}` is this one and writes the same text Django's writes.

A page's header, navigation and action links reverse some twenty names per request, the same paths every time, and
each reverse costs the process more than the rest of the tag. Reversing is a pure function of the URLconf's
resolver, the script prefix, the language, the current app, the name and the arguments: with every one of them in the
key, a remembered answer is the answer `reverse()` gives. The paths name no tenant (django-tenants routes by host),
so one entry serves every tenant of the process, and nothing in it comes from a tenant's data.

Only names and arguments that are plain ints and strings are remembered (an object's str() or a lazy string could
change under the same key); anything else, and every name that does not reverse, goes to Django as before.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from django import template
from django.template import Context
from django.template.base import Parser, Token
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language

register = template.Library()

_MAX_ENTRIES = 2048  # links to records carry their ids: a long-running process drops all entries at once, refills
_PLAIN = frozenset({int, str, SafeString})  # bool is not an int here: reverse() writes "True", not "1"

# key -> (the path, the path escaped for HTML)
_paths: dict[Hashable, tuple[str, str]] = {}


def clear() -> None:
    """Forget every remembered path (tests that swap URLconfs get a new resolver, hence new keys, without it)."""
    _paths.clear()


def _key(view_name: Any, args: list[Any], kwargs: dict[str, Any], current_app: Any) -> Hashable | None:
    if type(view_name) not in _PLAIN or not (current_app is None or type(current_app) in _PLAIN):
        return None
    for value in args:
        if type(value) not in _PLAIN:
            return None
    for value in kwargs.values():
        if type(value) not in _PLAIN:
            return None
    # The resolver object, not the URLconf's name: clear_url_caches() (a test's ROOT_URLCONF) makes a new one.
    return (
        get_resolver(get_urlconf()),
        get_script_prefix(),
        get_language(),
        current_app,
        view_name,
        tuple(args),
        tuple(kwargs.items()),
    )


class CachedURLNode(URLNode):
    def render(self, context: Context) -> str:
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app  # type: ignore[attr-defined]
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace  # type: ignore[attr-defined]
            except AttributeError:
                current_app = None
        key = _key(view_name, args, kwargs, current_app)
        known = _paths.get(key) if key is not None else None
        if known is None:
            # As Django's tag: a name that does not reverse raises, unless the tag is `{% url ... as var %}`.
            try:
                url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
            except NoReverseMatch:
                if self.asvar is None:
                    raise
                context[self.asvar] = ""
                return ""
            known = (url, conditional_escape(url))
            if key is not None:
                if len(_paths) >= _MAX_ENTRIES:
                    _paths.clear()
                _paths[key] = known
        if self.asvar:
            context[self.asvar] = known[0]
            return ""
        return known[1] if context.autoescape else known[0]


@register.tag
def url(parser: Parser, token: Token) -> CachedURLNode:
    """Django's `{% url %}` (same syntax, same output), its answers remembered (see the module)."""
    node = django_url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
