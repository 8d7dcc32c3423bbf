"""The figures as a table: one row per day or week, then the period's total (the CSV download)."""

from __future__ import annotations

import csv
import io
from typing import Any, Callable, Dict, List, Optional

from insights import outcomes as oc


def _path(*keys: str) -> Callable[[Dict[str, Any]], Any]:
    def get(figures: Dict[str, Any]) -> Any:
        value: Any = figures
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    return get


COLUMNS: Dict[str, Callable[[Dict[str, Any]], Any]] = {
    "conversations": _path("conversations"),
    **{outcome: _path("outcomes", outcome) for outcome in oc.OUTCOMES},
    "containment_confirmed": _path("containment", "confirmed"),
    "containment_assumed": _path("containment", "assumed"),
    "containment": _path("containment", "total"),
    "bot_only": _path("bot_only"),
    "agent_handled": _path("agent_handled"),
    "handover_rate": _path("handover_rate"),
    "ended_resumed": _path("handed_over_ended", "resumed"),
    "ended_closed": _path("handed_over_ended", "closed"),
    "ended_client_left": _path("handed_over_ended", "client_left"),
    "fallback_rate": _path("fallback_rate"),
    "clarification_rate": _path("clarification_rate"),
    "handovers": _path("handovers"),
    "passed_waiting_limit": _path("passed_waiting_limit"),
    "handovers_online": _path("handovers_by_availability", "online"),
    "handovers_nobody_online": _path("handovers_by_availability", "nobody_online"),
    "handovers_outside_hours": _path("handovers_by_availability", "outside_hours"),
    "time_to_claim_p50": _path("time_to_claim_seconds", "p50"),
    "time_to_claim_p90": _path("time_to_claim_seconds", "p90"),
    "time_to_resolve_p50": _path("time_to_resolve_seconds", "p50"),
    "time_to_resolve_p90": _path("time_to_resolve_seconds", "p90"),
    "suggestions_sent_as_is": _path("suggestions", "sent_as_is"),
    "suggestions_edited": _path("suggestions", "edited"),
    "suggestions_other_macro": _path("suggestions", "other_macro"),
    "suggestions_ignored": _path("suggestions", "ignored"),
    "csat": _path("csat", "all", "score"),
    "csat_response_rate": _path("csat", "all", "response_rate"),
    "csat_bot_only": _path("csat", "bot_only", "score"),
    "csat_agent_handled": _path("csat", "agent_handled", "score"),
    "ratings": _path("csat", "all", "ratings"),
}
MAX_FIELDS = len(COLUMNS)


class FieldsError(ValueError):
    """The ``fields`` of a CSV request name a column that does not exist (the message says which)."""


def chosen_fields(raw: Optional[str]) -> List[str]:
    """The columns a CSV request asks for (``fields=a,b``); all of them when it asks for none."""
    if raw is None:
        return list(COLUMNS)
    names = [name.strip() for name in raw.split(",")]
    if not any(names):
        raise FieldsError("'fields' is empty: name at least one column, or leave it out for all")
    for name in names:
        if name not in COLUMNS:
            raise FieldsError(f"unknown column {name[:40]!r} in 'fields': the columns are {', '.join(COLUMNS)}")
    if len(set(names)) != len(names):
        raise FieldsError("'fields' names a column twice")
    return names


def to_csv(result: Dict[str, Any], fields: List[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["start", *fields])
    for entry in result["series"]:
        writer.writerow([entry["start"], *(_cell(COLUMNS[f](entry)) for f in fields)])
    writer.writerow(["total", *(_cell(COLUMNS[f](result["totals"])) for f in fields)])
    return out.getvalue()


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
