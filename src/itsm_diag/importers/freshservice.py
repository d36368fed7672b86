"""Freshservice (and Freshdesk) UI exports: tickets and changes, CSV or XLSX, any language.

The export's columns are chosen by the user and its headers are translated into the
exporting agent's language, so every field is found through a per-language alias table
(:data:`HEADERS`). Values are mostly English even in translated exports (a public script
reads a Spanish export whose ``Estado de resolucion`` holds ``Within SLA``), but
translated value labels are accepted too.

Tickets: ``Type`` (Incident / Service Request) gives the kind, ``Resolution Status``
(Within SLA / SLA Violated) ``sla_met``, ``Source`` the channel. Changes: ``Change Type``
(Minor / Standard / Major / Emergency), planned start and end. Numbers like ``#INC-12``
lose the ``#``; plain change numbers get a ``CHN-`` prefix so they cannot collide with
ticket numbers when both exports are combined.
"""

from __future__ import annotations

import pandas as pd

from itsm_diag import model as m
from itsm_diag.errors import InputError
from itsm_diag.importers import values as v
from itsm_diag.importers.base import (
    Detection,
    Imported,
    Importer,
    ImportOptions,
    SourceInfo,
    fold_name,
    head_texts,
    holding_cells,
    parse_dates,
    require_ids,
    resolve_columns,
    share_matching,
    stamp_source,
)
from itsm_diag.importers.mapping import DEFAULT_STATUS, map_values
from itsm_diag.importers.readers import RawTable

NAME = "freshservice"
LANGUAGES = ("en", "es", "fr", "de")

# Export field -> header names per language; the first name of a language is what
# writers.freshservice writes. English names are documented (reference section 4.1:
# Freshdesk export code and scripts; Freshservice names partly inferred from the same
# code lineage). Of the translations only the Spanish "ID del ticket" and "Estado de
# resolucion" are documented (a public script); every other translation is INFERRED
# from Freshworks' UI wording and should be checked against a real export.
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "ticket_id": {"en": ("Ticket Id", "Ticket ID", "ID"),
                  "es": ("ID del ticket", "Id. del ticket", "ID de ticket"),
                  "fr": ("ID du ticket", "Identifiant du ticket", "N° du ticket"),
                  "de": ("Ticket-ID", "Ticketnummer", "Ticket-Nummer")},
    "change_id": {"en": ("Change ID", "Change Id"),
                  "es": ("ID del cambio", "ID de cambio"),
                  "fr": ("ID du changement", "Identifiant du changement"),
                  "de": ("Change-ID", "Änderungs-ID")},
    "subject": {"en": ("Subject",), "es": ("Asunto",), "fr": ("Objet", "Sujet"),
                "de": ("Betreff",)},
    "status": {"en": ("Status",), "es": ("Estado",), "fr": ("Statut",), "de": ("Status",)},
    "priority": {"en": ("Priority",), "es": ("Prioridad",), "fr": ("Priorité",),
                 "de": ("Priorität",)},
    "source": {"en": ("Source",), "es": ("Origen", "Fuente"), "fr": ("Source",),
               "de": ("Quelle",)},
    "type": {"en": ("Type",), "es": ("Tipo",), "fr": ("Type",), "de": ("Typ",)},
    "category": {"en": ("Category",), "es": ("Categoría",), "fr": ("Catégorie",),
                 "de": ("Kategorie",)},
    "sub_category": {"en": ("Sub-Category", "Subcategory", "Sub Category"),
                     "es": ("Subcategoría",), "fr": ("Sous-catégorie",),
                     "de": ("Unterkategorie",)},
    "item_category": {"en": ("Item Category",), "es": ("Categoría de elemento",),
                      "fr": ("Catégorie d'élément",), "de": ("Elementkategorie",)},
    "department": {"en": ("Department",), "es": ("Departamento",), "fr": ("Département",),
                   "de": ("Abteilung",)},
    "requester": {"en": ("Requester Name", "Requester", "Full name", "Customer"),
                  "es": ("Nombre del solicitante", "Solicitante"),
                  "fr": ("Nom du demandeur", "Demandeur"),
                  "de": ("Name des Anfragenden", "Anfragender", "Anforderer")},
    "requester_email": {"en": ("Requester Email", "Email"),
                        "es": ("Correo electrónico del solicitante",),
                        "fr": ("E-mail du demandeur",), "de": ("E-Mail des Anfragenden",)},
    "agent": {"en": ("Agent",), "es": ("Agente",), "fr": ("Agent",), "de": ("Agent",)},
    "group": {"en": ("Group",), "es": ("Grupo",), "fr": ("Groupe",), "de": ("Gruppe",)},
    "created": {"en": ("Created Time", "Created Date", "Created time"),
                "es": ("Hora de creación", "Fecha de creación"),
                "fr": ("Heure de création", "Date de création"),
                "de": ("Erstellungszeit", "Erstellt am", "Erstellungsdatum")},
    "resolved": {"en": ("Resolved Time", "Resolved time", "Resolved Date"),
                 "es": ("Hora de resolución", "Fecha de resolución"),
                 "fr": ("Heure de résolution", "Date de résolution"),
                 "de": ("Lösungszeit", "Gelöst am")},
    "closed": {"en": ("Closed Time", "Closed time", "Closed Date"),
               "es": ("Hora de cierre", "Fecha de cierre"),
               "fr": ("Heure de clôture", "Date de clôture"),
               "de": ("Schließzeit", "Geschlossen am")},
    "due_by": {"en": ("Due by Time", "Due By Time", "Due by"),
               "es": ("Fecha de vencimiento", "Vence el"),
               "fr": ("Échéance", "Date d'échéance"),
               "de": ("Fällig bis", "Fälligkeitszeit")},
    "updated": {"en": ("Last Updated Time", "Last update time", "Last Updated Date"),
                "es": ("Hora de última actualización", "Última actualización"),
                "fr": ("Heure de dernière mise à jour", "Dernière mise à jour"),
                "de": ("Zuletzt aktualisiert", "Letzte Aktualisierung")},
    "initial_response": {"en": ("Initial Response Time", "Initial response time"),
                         "es": ("Hora de respuesta inicial",),
                         "fr": ("Heure de réponse initiale",),
                         "de": ("Zeitpunkt der ersten Antwort", "Erste Antwort am")},
    "first_response_hours": {"en": ("First Response Time (in hrs)",),
                             "es": ("Tiempo de primera respuesta (en horas)",),
                             "fr": ("Délai de première réponse (en heures)",),
                             "de": ("Erste Antwortzeit (in Std.)",)},
    "resolution_status": {"en": ("Resolution Status", "Resolution status"),
                          "es": ("Estado de resolución", "Estado de resolucion"),
                          "fr": ("Statut de résolution",), "de": ("Lösungsstatus",)},
    "first_response_status": {"en": ("First Response Status", "First response status"),
                              "es": ("Estado de primera respuesta",),
                              "fr": ("Statut de première réponse",),
                              "de": ("Status der ersten Antwort",)},
    "tags": {"en": ("Tags",), "es": ("Etiquetas",), "fr": ("Étiquettes", "Tags"),
             "de": ("Tags", "Schlagwörter")},
    "time_tracked": {"en": ("Time tracked", "Time Tracked"), "es": ("Tiempo registrado",),
                     "fr": ("Temps suivi",), "de": ("Erfasste Zeit",)},
    "requester_interactions": {"en": ("Requester interactions", "Customer interactions"),
                               "es": ("Interacciones del solicitante",),
                               "fr": ("Interactions du demandeur",),
                               "de": ("Interaktionen des Anfragenden",)},
    "change_type": {"en": ("Change Type",), "es": ("Tipo de cambio",),
                    "fr": ("Type de changement",), "de": ("Änderungstyp", "Change-Typ")},
    "risk": {"en": ("Risk",), "es": ("Riesgo",), "fr": ("Risque",), "de": ("Risiko",)},
    # impact and urgency have no canonical column (priority already combines them)
    "impact": {"en": ("Impact",), "es": ("Impacto",), "fr": ("Impact",),
               "de": ("Auswirkung",)},
    "urgency": {"en": ("Urgency",), "es": ("Urgencia",), "fr": ("Urgence",),
                "de": ("Dringlichkeit",)},
    "planned_start": {"en": ("Planned Start Date",),
                      "es": ("Fecha de inicio planificada",),
                      "fr": ("Date de début prévue",), "de": ("Geplantes Startdatum",)},
    "planned_end": {"en": ("Planned End Date",), "es": ("Fecha de finalización planificada",),
                    "fr": ("Date de fin prévue",), "de": ("Geplantes Enddatum",)},
}

# export field -> canonical column, for the fields copied as text
_TEXT = {"subject": m.SUMMARY, "category": m.CATEGORY, "agent": m.ASSIGNEE,
         "group": m.ASSIGNMENT_GROUP, "tags": m.LABELS}
_DATES = {"created": m.OPENED_AT, "resolved": m.RESOLVED_AT, "closed": m.CLOSED_AT,
          "due_by": m.DUE_AT, "updated": m.UPDATED_AT, "initial_response": m.FIRST_RESPONSE_AT,
          "planned_start": m.PLANNED_START, "planned_end": m.PLANNED_END}

# value labels (English documented, sec. 4.1-4.3; translations inferred) and API codes
_TICKET_STATUS = {
    "2": "open", "open": "open", "abierto": "open", "ouvert": "open", "offen": "open",
    "in progress": "open", "en curso": "open", "en cours": "open", "in bearbeitung": "open",
    "3": "pending", "pending": "pending", "pendiente": "pending", "en attente": "pending",
    "ausstehend": "pending", "wartend": "pending", "on hold": "pending",
    "awaiting information": "pending", "waiting on customer": "pending",
    "waiting on third party": "pending",
    "4": "resolved", "resolved": "resolved", "resuelto": "resolved", "résolu": "resolved",
    "gelöst": "resolved", "5": "closed", "closed": "closed", "cerrado": "closed",
    "fermé": "closed", "clos": "closed", "geschlossen": "closed",
    **v.CANCELLED_STATUSES,
}
# custom statuses an admin adds ("Completed", "Done", "Finished"...): the common status
# words a mapping understands (mapping.DEFAULT_STATUS), the tool's own labels first
_TICKET_STATUS = {**DEFAULT_STATUS, **_TICKET_STATUS}
# change statuses: 1 Open, 2 Planning, 3 Awaiting Approval, 4 Pending Release,
# 5 Pending Review, 6 Closed (API codes; labels only in a "status" column of a change export)
_CHANGE_STATUS = {
    "1": "new", "open": "new", "abierto": "new", "ouvert": "new", "offen": "new",
    "2": "open", "planning": "open", "planificación": "open", "planification": "open",
    "planung": "open", "3": "pending", "awaiting approval": "pending", "approval": "pending",
    "esperando aprobación": "pending", "en attente d'approbation": "pending",
    "warten auf genehmigung": "pending", "4": "open", "pending release": "open",
    "publicación pendiente": "open", "en attente de publication": "open",
    "freigabe ausstehend": "open",
    # implemented, only the post-implementation review is left: the work is done
    "5": "resolved", "pending review": "resolved", "revisión pendiente": "resolved",
    "en attente de révision": "resolved", "überprüfung ausstehend": "resolved",
    "6": "closed", "closed": "closed", "cerrado": "closed", "fermé": "closed",
    "geschlossen": "closed", "rejected": "cancelled", "rechazado": "cancelled",
    "rejeté": "cancelled", "abgelehnt": "cancelled", "cancelled": "cancelled",
    "canceled": "cancelled",
}
_CHANGE_STATUS = {**DEFAULT_STATUS, **_CHANGE_STATUS}
# Freshservice priority 1 Low .. 4 Urgent (API codes count *up*, unlike the canonical 1..5)
_PRIORITY = {
    "4": 1, "urgent": 1, "urgente": 1, "dringend": 1, "3": 2, "high": 2, "alta": 2,
    "haute": 2, "élevée": 2, "hoch": 2, "2": 3, "medium": 3, "media": 3, "moyenne": 3,
    "mittel": 3, "1": 4, "low": 4, "baja": 4, "basse": 4, "faible": 4, "niedrig": 4,
}
_KIND = {
    "incident": "incident", "incidente": "incident", "vorfall": "incident",
    "störung": "incident", "service request": "request", "solicitud de servicio": "request",
    "demande de service": "request", "serviceanfrage": "request",
    "service anfrage": "request", "request": "request",
    # Freshdesk ticket types (a helpdesk, not ITIL): questions and asks are requests
    "question": "request", "feature request": "request", "refund": "request",
    "problem": "incident", "change": "change", "cambio": "change", "changement": "change",
    "änderung": "change",
}
_PREFIX_KIND = {"INC": "incident", "SR": "request", "CHN": "change", "CHG": "change",
                "PRB": "problem"}
_SOURCE = {
    # the shared channel words (chat and messaging, Freshservice's alert sources "AWS
    # Cloudwatch" and "Pagerduty" as monitoring), then Freshservice's own sources
    **v.CHANNELS,
    "feedback widget": "portal", "walkup": "walk_in",
    "outbound email": "email",
    "workplace": "chat", "yammer": "chat", "mobile": "portal", "service desk": "portal",
    "correo electrónico": "email", "teléfono": "phone", "portail": "portal",
    "téléphone": "phone", "courriel": "email", "telefon": "phone",
    "widget de comentarios": "portal", "widget de commentaires": "portal",
    "feedback widget de": "portal",
}
_SLA = {"within sla": True, "sla violated": False, "dentro del sla": True,
        "sla incumplido": False, "sla infringido": False, "dans le sla": True,
        "sla respecté": True, "sla non respecté": False, "sla violé": False,
        "innerhalb des sla": True, "sla eingehalten": True, "sla verletzt": False}
_CHANGE_TYPE = {"minor": "minor", "menor": "minor", "mineur": "minor", "geringfügig": "minor",
                "standard": "standard", "estándar": "standard", "major": "major",
                "mayor": "major", "majeur": "major", "wesentlich": "major",
                "emergency": "emergency", "emergencia": "emergency", "urgence": "emergency",
                "notfall": "emergency"}

# strong Freshservice/Freshdesk signals (folded); ServiceNow and Jira have none of these
_SIGNALS = ("resolution_status", "first_response_status", "due_by", "requester_interactions",
            "item_category", "initial_response", "first_response_hours", "change_type",
            "agent", "source")
_ID_RE = r"^#?(INC|SR|CHN|CHG|PRB)-\d+$"


def _aliases(field: str) -> tuple[str, ...]:
    return tuple(name for lang in LANGUAGES for name in HEADERS[field].get(lang, ()))


def _folded(field: str) -> set[str]:
    return {fold_name(a) for a in _aliases(field)}


class FreshserviceImporter(Importer):
    name = NAME

    def detect(self, raw: RawTable) -> Detection:
        folded = {fold_name(h) for h in raw.headers}
        reasons: list[str] = []
        score = 0.0
        # a bare "ID" header is too common to count as a Freshservice signal
        id_field = next((f for f in ("ticket_id", "change_id")
                         if (_folded(f) - {"id"}) & folded), None)
        if id_field:
            score += 0.4
            reasons.append(f"{'change' if id_field == 'change_id' else 'ticket'} id header")
        signals = [f for f in _SIGNALS if _folded(f) & folded]
        score += 0.1 * min(len(signals), 5)
        if signals:
            reasons.append("headers " + ", ".join(signals[:5]))
        cols = resolve_columns(raw.headers, {"id": _aliases("ticket_id") + _aliases("change_id")})
        if "id" in cols:
            sample = head_texts(raw.frame[cols["id"]])
            if share_matching(sample, _ID_RE) > 0.9:
                score += 0.2
                reasons.append("numbers like " + sample[0])
        table = "changes" if (id_field == "change_id" or _folded("change_type") & folded) \
            else "tickets"
        return Detection(NAME, min(score, 1.0), table, reasons)

    def load(self, raw: RawTable, detection: Detection, options: ImportOptions) -> Imported:
        table = detection.table
        frame = raw.frame
        id_fields = ("change_id", "ticket_id") if table == "changes" else ("ticket_id",
                                                                           "change_id")
        aliases = {f: _aliases(f) for f in HEADERS if f not in ("ticket_id", "change_id")}
        aliases = {"id": _aliases(id_fields[0]) + _aliases(id_fields[1]), **aliases}
        cols = resolve_columns(raw.headers, aliases)
        date_cols = {_DATES[f]: cols[f] for f in _DATES if f in cols}
        require_ids(raw, cols.get("id"), date_cols.get(m.OPENED_AT), tool="Freshservice",
                    id_label="Ticket Id / Change ID", opened_label="Created Time",
                    hint="export the list again with those columns (or a translation), or "
                         "pass --mapping FILE if the headers are in another language")
        warnings = list(raw.warnings)
        ids = frame[cols["id"]].astype(m.STRING_DTYPE).str.lstrip("#").str.strip()
        if table == "changes":
            ids = ids.mask(ids.str.fullmatch(r"\d+").fillna(False).astype(bool), "CHN-" + ids)
        keep = ids.notna()
        if not keep.any():
            raise InputError("the ticket id column is empty", file=raw.path,
                             column=cols["id"], hint="export the id column")
        parsed, formats, date_warnings = parse_dates(raw, date_cols, options)
        warnings.extend(date_warnings)

        df = pd.DataFrame({m.TICKET_ID: ids}, index=frame.index)
        for field, canonical in _TEXT.items():
            if field in cols:
                df[canonical] = frame[cols[field]]
        df[m.SUBCATEGORY] = _subcategory(frame, cols)
        df[m.REQUESTER] = _first(frame, cols, ("requester", "requester_email"))
        for canonical, series in parsed.items():
            df[canonical] = series
        if "first_response_hours" in cols:
            # no "Initial Response Time" timestamp: created + "First Response Time (in hrs)"
            hours = v.duration(_hours(frame[cols["first_response_hours"]]),
                               frame[cols["first_response_hours"]], warnings,
                               "first response time").astype("float64")
            derived = (df[m.OPENED_AT] + pd.to_timedelta(hours, unit="h")).dt.round("s")
            df[m.FIRST_RESPONSE_AT] = df[m.FIRST_RESPONSE_AT].fillna(derived) if (
                m.FIRST_RESPONSE_AT in df) else derived
        df[m.KIND] = _kind(frame, cols, ids, table)
        self._vocabularies(df, frame, cols, table, warnings)
        if "time_tracked" in cols:
            df[m.TIME_SPENT_HOURS] = v.duration(_hours(frame[cols["time_tracked"]]),
                                                frame[cols["time_tracked"]], warnings)
        if not keep.all():
            skipped = holding_cells(frame, ~keep)
            if skipped:
                warnings.append(f"{skipped} rows without a ticket id were skipped")
            df = df[keep]
        stamp_source(df, NAME, raw.name)
        tickets = m.conform_tickets(df)
        column_map = {canon: cols[f] for f, canon in {**_TEXT, **_DATES}.items() if f in cols}
        column_map[m.TICKET_ID] = cols["id"]
        for f, canon in (("status", m.STATUS), ("priority", m.PRIORITY), ("source", m.CHANNEL),
                         ("type", m.KIND), ("resolution_status", m.SLA_MET),
                         ("change_type", m.CHANGE_TYPE), ("sub_category", m.SUBCATEGORY),
                         ("requester", m.REQUESTER), ("time_tracked", m.TIME_SPENT_HOURS)):
            if f in cols:
                column_map[canon] = cols[f]
        info = SourceInfo(
            path=raw.label,
            tool=NAME, table=table, rows=len(frame), tickets=len(tickets),
            confidence=round(detection.score, 2), detected_by="; ".join(detection.reasons),
            encoding=raw.encoding, delimiter=raw.delimiter, date_formats=formats,
            column_map=column_map, warnings=warnings,
        )
        return Imported(tickets=tickets, events=m.empty_events(), info=info)

    @staticmethod
    def _vocabularies(df: pd.DataFrame, frame: pd.DataFrame, cols: dict[str, str], table: str,
                      warnings: list[str]) -> None:
        """Status, priority, channel, SLA and change type: labels (any language) or codes."""
        if "status" in cols:
            raw_status = frame[cols["status"]]
            df[m.STATUS_RAW] = raw_status
            read = map_values(raw_status, _CHANGE_STATUS if table == "changes"
                               else _TICKET_STATUS)
            # any other custom status on a ticket with a done time is a done status
            status = v.done_by_time(read, raw_status, df.get(m.RESOLVED_AT),
                                    df.get(m.CLOSED_AT), warnings, left="left without status")
            df[m.STATUS_INFERRED] = v.inferred(raw_status, read, status)
            df[m.STATUS] = status
        if "priority" in cols:
            df[m.PRIORITY_RAW] = frame[cols["priority"]]
            df[m.PRIORITY] = pd.to_numeric(map_values(frame[cols["priority"]], {
                k: str(p) for k, p in _PRIORITY.items()}), errors="coerce").astype("Int8")
            v.note_unmapped(warnings, "priority", df[m.PRIORITY_RAW], df[m.PRIORITY],
                            "left without priority")
        if "source" in cols:
            # a placeholder ("Unknown") is no channel recorded, not a door named "other"
            source = v.drop_placeholders(frame[cols["source"]], warnings, "source (channel)")
            df[m.CHANNEL_RAW] = source
            mapped = map_values(source, _SOURCE)
            v.note_unmapped(warnings, "source (channel)", source, mapped,
                            "counted as 'other'")
            df[m.CHANNEL] = mapped.where(mapped.notna() | source.isna(), "other")
        if "resolution_status" in cols:
            raw_sla = frame[cols["resolution_status"]].astype(m.STRING_DTYPE)
            sla = map_values(raw_sla, {k: str(b) for k, b in _SLA.items()})
            df[m.SLA_MET] = sla.map({"True": True, "False": False}).astype("boolean")
            df[m.SLA_MET_RAW] = raw_sla
            v.note_unmapped(warnings, "resolution status (SLA)", raw_sla, df[m.SLA_MET],
                            "left empty")
        if "change_type" in cols:
            change = (df[m.KIND] == "change").fillna(False).to_numpy(dtype=bool)
            raw_type = frame[cols["change_type"]].astype(m.STRING_DTYPE).where(change)
            english = map_values(raw_type, _CHANGE_TYPE)
            change_type = pd.Series(english, index=frame.index).map(v.CHANGE_TYPES)
            df[m.CHANGE_TYPE_RAW] = raw_type
            df[m.CHANGE_TYPE] = change_type
            v.note_unmapped(warnings, "change type", raw_type, change_type, "left empty")


def _first(frame: pd.DataFrame, cols: dict[str, str], fields: tuple[str, ...]) -> pd.Series:
    """The first non-null value across ``fields`` (requester name, else e-mail)."""
    out = pd.Series(pd.NA, index=frame.index, dtype=m.STRING_DTYPE)
    for f in reversed(fields):
        if f in cols:
            out = frame[cols[f]].astype(m.STRING_DTYPE).fillna(out)
    return out


def _subcategory(frame: pd.DataFrame, cols: dict[str, str]) -> pd.Series:
    """``Sub-Category`` and the third level ``Item Category`` joined as ``sub / item``.

    The recurrence and backlog signs group by category and subcategory; the item level
    is what tells "Laptop / Battery" from "Laptop / Screen", so it is kept, not dropped.
    """
    sub = frame[cols["sub_category"]] if "sub_category" in cols else None
    item = frame[cols["item_category"]] if "item_category" in cols else None
    if sub is None and item is None:
        return pd.Series(pd.NA, index=frame.index, dtype=m.STRING_DTYPE)
    if sub is None or item is None:
        return (sub if sub is not None else item).astype(m.STRING_DTYPE)  # type: ignore[union-attr]
    joined = sub.astype(m.STRING_DTYPE) + " / " + item.astype(m.STRING_DTYPE)
    return joined.fillna(sub.astype(m.STRING_DTYPE)).fillna(item.astype(m.STRING_DTYPE))


def _hours(s: pd.Series) -> pd.Series:
    """``(in hrs)`` columns: decimal hours (``2.5``, ``2,5``) or ``[h]:mm:ss`` (``58:22:50``)."""
    text = s.astype(m.STRING_DTYPE).str.strip()
    decimal = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    hms = text.str.extract(r"^(\d+):(\d{1,2})(?::(\d{1,2}))?$")
    clock = (pd.to_numeric(hms[0], errors="coerce") + pd.to_numeric(hms[1], errors="coerce") / 60
             + pd.to_numeric(hms[2], errors="coerce").fillna(0) / 3600)
    # Float64 before the fill: where every decimal is whole, to_numeric gives Int64, and
    # filling it with a clock's 1.5 hours raised a TypeError out of the importer
    return decimal.astype("Float64").fillna(clock)


def _kind(frame: pd.DataFrame, cols: dict[str, str], ids: pd.Series, table: str) -> pd.Series:
    """``Type`` label, else the number prefix (INC-/SR-/CHN-), else the export's table."""
    if table == "changes":
        return pd.Series("change", index=frame.index, dtype="object")
    by_prefix = ids.str.extract(r"^([A-Z]+)-", expand=False).map(_PREFIX_KIND)
    kind = by_prefix.astype("object")
    if "type" in cols:
        typed = map_values(frame[cols["type"]], _KIND)
        kind = typed.where(typed.notna(), kind)
    # a ticket export holds incidents and service requests; with neither a Type nor a
    # prefix the row is still an incident ticket (Freshservice's default type)
    return kind.where(kind.notna(), "incident")


IMPORTER = FreshserviceImporter()
