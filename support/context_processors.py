def support_context(request) -> dict[str, object]:
    """Template context: the live support grant of the request, for the banner on every page."""
    return {"support_grant": getattr(request, "support_grant", None)}
