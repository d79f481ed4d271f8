"""Which document posted a move, and how that document undoes it: each app that posts moves from a document says
so in its `AppConfig.ready` (`register_document_undo`), so the ledger can point a user to the undo instead of a bare
reversal, and inventory imports no business app."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from inventory.models import StockMove


@dataclass(frozen=True)
class DocumentUndo:
    """How a document's moves are undone: in words ("a customer return against it") and the page that does it."""

    undo: str
    url: Callable[[Model], str] | None = None


# "app_label.model" of a document that posts moves -> its undo. The documents' apps register theirs in
# `AppConfig.ready` (inventory imports no business app).
_DOCUMENT_UNDO: dict[str, DocumentUndo] = {}


def register_document_undo(model: type[Model], *, undo: str, url: Callable[[Model], str] | None = None) -> None:
    """Say how moves posted by documents of `model` are undone (the ledger points there instead of reversing)."""
    _DOCUMENT_UNDO[model._meta.label_lower] = DocumentUndo(undo=undo, url=url)


@dataclass(frozen=True)
class MoveDocument:
    """The document that posted a move: its kind ("shipment"), its name ("shipment SH-00003") and its undo."""

    kind: str
    label: str
    undo: str
    url: str | None


def move_documents(moves: Iterable[StockMove]) -> dict[int, MoveDocument]:
    """{move id: the document that posted it and how it is undone} for the moves a document posted (bare moves are
    left out); one query per kind of document, so a ledger page costs a few queries, not one per move."""
    wanted: dict[int, list[StockMove]] = defaultdict(list)
    for move in moves:
        if move.source_type_id is not None:
            wanted[move.source_type_id].append(move)
    found: dict[int, MoveDocument] = {}
    for type_id, typed in wanted.items():
        source_type = ContentType.objects.get_for_id(type_id)
        model = source_type.model_class()
        documents = model._default_manager.in_bulk({m.source_id for m in typed}) if model is not None else {}
        kind = str(source_type.name)
        undo = _DOCUMENT_UNDO.get(f"{source_type.app_label}.{source_type.model}", DocumentUndo(f"the {kind}'s undo"))
        for move in typed:
            document = documents.get(move.source_id)
            found[move.pk] = MoveDocument(
                kind=kind,
                label=f"{kind} {document}" if document is not None else f"{kind} #{move.source_id}",
                undo=undo.undo,
                url=undo.url(document) if undo.url is not None and document is not None else None,
            )
    return found


def move_document(move: StockMove) -> MoveDocument | None:
    """The document that posted `move` and how it is undone; None for a bare move."""
    return move_documents([move]).get(move.pk)


def same_document(move: StockMove, document: Model) -> bool:
    return move.source_type_id == ContentType.objects.get_for_model(document).pk and move.source_id == document.pk
