"""The buyer's button that makes the supplier's invitation.

Shown with the filed claim (`flows/claim_submit.py`), on `/case` (`flows/case_actions.py`), in
the sweep's reminders, and to the buyer once a supplier was replaced
(`flows/supplier_replace.py`); pressed, it is handled by `flows/supplier_join.py`. It lives
here, below all of them, so none of them imports the supplier's joining for one button.
"""

from __future__ import annotations

from flows.buttons import InviteSupplier
from flows.callbacks import encode
from locales.i18n import Translator


def invite_button(tr: Translator, case_id: int) -> tuple[str, str]:
    return tr.t("button.invite_supplier"), encode(InviteSupplier(case_id))
