"""Everything one sandbox instance remembers, and the rules that several endpoints share.

State is in memory and per instance; only 5011 code files go to a temporary directory, which
:meth:`State.close` removes.  Handlers mutate it under :attr:`State.lock` (an ``anyio.Lock``)
so that concurrent requests see each registration whole: two concurrent 309 submissions of the
same name give one unit and one 10007.
"""

from __future__ import annotations

import random
import secrets
import shutil
import tempfile
import weakref
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio

from .clock import Clock
from .config import SandboxConfig
from .errors import CentreError
from .records import Download, PageTicket, Registration, Unit, WhitelistEntry
from .registrations import RegistrationRequest, check_registration, complete_code
from .review import APPROVED, review_status
from .uploads import Upload

__all__ = ["State"]

_ID_PREFIXES = {"unit": 1003, "registration": 1004, "upload": 1005, "ioidcategory": 1006}


class State:
    """Units, category registrations, uploads, whitelist, verification codes and pages."""

    def __init__(self, config: SandboxConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.rng = random.Random(config.seed)
        self.lock = anyio.Lock()
        self.units: dict[str, Unit] = {}
        self.registrations: dict[int, Registration] = {}
        self.uploads: dict[int, Upload] = {}
        self.whitelist: dict[str, WhitelistEntry] = {}
        self.verify_codes: dict[str, tuple[str, int]] = {}
        self.pages: dict[str, PageTicket] = {}
        self.downloads: dict[str, Download] = {}
        self._serials: Counter[str] = Counter()
        self._area_serials: Counter[int] = Counter()
        self._next_short = 1
        self._tmp = Path(tempfile.mkdtemp(prefix="idcode-sandbox-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._tmp, True)

    # time and ids

    @property
    def delay_ms(self) -> int:
        return round(self.config.approval_delay * 1000)

    def now_ms(self) -> int:
        """The centre's time (see :mod:`.clock`)."""
        return self.clock.now_ms()

    def next_id(self, kind: str) -> int:
        """A fresh 20-digit id, e.g. ``10030000000000001001`` for the first unit."""
        self._serials[kind] += 1
        return _ID_PREFIXES[kind] * 10**16 + 1000 + self._serials[kind]

    def token(self) -> str:
        """An unguessable token for page tickets and download links."""
        return secrets.token_urlsafe(16)

    def temp_path(self, name: str) -> Path:
        return self._tmp / name

    def close(self) -> None:
        """Remove the temporary directory of 5011 code files (also done when collected)."""
        self._cleanup()

    def rejected(self, *texts: str) -> bool:
        """Whether the configured reject marker appears in one of ``texts``."""
        marker = self.config.reject_marker
        return marker is not None and marker != "" and any(marker in t for t in texts)

    # units

    def unit(self, idcode: str | None) -> Unit | None:
        return self.units.get(idcode or "")

    def require_unit(self, idcode: str | None) -> Unit:
        """The unit with main code ``idcode``, or 10003."""
        unit = self.unit(idcode)
        if unit is None:
            raise CentreError(10003, f"no unit with main code {idcode!r}")
        return unit

    def unit_named(self, name: str) -> Unit | None:
        return next((u for u in self.units.values() if u.organunit_name == name), None)

    def unit_with_login(self, login_name: str) -> Unit | None:
        return next((u for u in self.units.values() if u.login_name == login_name), None)

    def login(self, login_name: str, password: str) -> Unit:
        """The unit these credentials open, or 10005."""
        unit = self.unit_with_login(login_name)
        if unit is None or not secrets.compare_digest(unit.password, password):
            raise CentreError(10005, "wrong login_name or password")
        return unit

    def new_unit_code(self, area_id: int) -> str:
        """The next main code of an area: ``i.86.<area>.<n>``."""
        self._area_serials[area_id] += 1
        return f"i.86.{area_id:06d}.{self._area_serials[area_id]}"

    def skip_unit_codes(self, area_id: int, serial: int) -> None:
        """Make the area's next main code ``i.86.<area>.<serial + 1>`` (the seeded state)."""
        self._area_serials[area_id] = max(self._area_serials[area_id], serial)

    def add_unit(
        self,
        *,
        name: str,
        login_name: str,
        region: tuple[int, int, int],
        via: int,
        registered_ms: int,
        idcode: str | None = None,
        password: str | None = None,
        **details: Any,
    ) -> Unit:
        """Enter a unit registered by ``via`` (301 or 309) in ``region`` (province, city,
        area): the next unit ID and, unless ``idcode`` is given, the area's next main code.

        A 309 unit's review starts at once; a 301 unit's when 305 completes it.  309 takes no
        password: it is the login name's last six characters (309's answer, seed §八:
        默认营业执照注册号后六位为密码).  ``details`` are the other :class:`~.records.Unit` fields.
        """
        province, city, area = region
        unit = Unit(
            organunit_id=self.next_id("unit"),
            idcode=idcode or self.new_unit_code(area),
            login_name=login_name,
            password=login_name[-6:] if password is None else password,
            organunit_name=name,
            province_id=province,
            city_id=city,
            area_id=area,
            registered_via=via,
            registered_ms=registered_ms,
            review_started_ms=registered_ms if via == 309 else None,
            **details,
        )
        self.units[unit.idcode] = unit
        return unit

    def unit_review(self, unit: Unit) -> int:
        return review_status(unit.review_started_ms, self.now_ms(), self.delay_ms, unit.rejected)

    # verification codes (302/303, checked by 301)

    def issue_verify_code(self, phone: str) -> str:
        """A fresh six-digit code for ``phone``, or 20003 when asked again too soon."""
        now = self.now_ms()
        previous = self.verify_codes.get(phone)
        if previous and now - previous[1] < self.config.verify_code_interval * 1000:
            raise CentreError(20003, "a code was sent to this phone moments ago")
        code = f"{self.rng.randrange(1_000_000):06d}"
        self.verify_codes[phone] = (code, now)
        return code

    def check_verify_code(self, phone: str, code: str) -> None:
        """20002 for a wrong code, 20001 for an expired one.  Codes are not used up."""
        issued = self.verify_codes.get(phone)
        if issued is None or not secrets.compare_digest(issued[0], code):
            raise CentreError(20002, "wrong verification code for this phone")
        if self.now_ms() - issued[1] > self.config.verify_code_ttl * 1000:
            raise CentreError(20001, "verification code expired")

    # category registrations

    def registration(self, reg_id: str | None, unit: Unit | None = None) -> Registration | None:
        """The registration with this id (of ``unit`` when given)."""
        if not reg_id or not reg_id.strip().isdigit():
            return None
        found = self.registrations.get(int(reg_id))
        if found is None or (unit is not None and found.unit is not unit):
            return None
        return found

    def require_registration(self, reg_id: str | None, unit: Unit) -> Registration:
        """The unit's registration with this id, or 50003."""
        found = self.registration(reg_id, unit)
        if found is None:
            raise CentreError(50003, f"no category registration {reg_id!r} for this unit")
        return found

    def registrations_of(self, unit: Unit) -> list[Registration]:
        return [r for r in self.registrations.values() if r.unit is unit]

    def check_registrations(self, unit: Unit, requests: list[RegistrationRequest]) -> None:
        """Check a whole batch against the unit's registrations and itself (402 is atomic)."""
        existing: list[Registration | RegistrationRequest] = [*self.registrations_of(unit)]
        for request in requests:
            check_registration(unit, request, existing)
            existing.append(request)

    def add_registration(self, unit: Unit, request: RegistrationRequest) -> Registration:
        """Record a checked request; its resolve-URL review starts now."""
        taken = {r.complete_code for r in self.registrations_of(unit)}
        reg_id = self.next_id("registration")
        now = self.now_ms()
        registration = Registration(
            category_reg_id=reg_id,
            ioidcategory_id=self.next_id("ioidcategory"),
            unit=unit,
            via=request.via,
            industrycategory_id=request.industrycategory_id,
            codeuse_id=request.codeuse_id,
            category_code=request.category_code,
            model_number=request.model_number,
            model_number_code=request.model_number_code,
            category_memo=request.category_memo,
            model_number_en=request.model_number_en,
            introduction=request.introduction,
            code_pay_type=request.code_pay_type,
            gotourl=request.gotourl,
            sample_url=request.sample_url,
            complete_code=complete_code(unit, request, taken),
            bill_number=f"BN{reg_id % 10**10:010d}",
            guid_number=f"{self.rng.getrandbits(128):032x}",
            review_started_ms=now,
            rejected=self.rejected(request.gotourl),
        )
        self.registrations[reg_id] = registration
        return registration

    def resolve_review(self, registration: Registration) -> int:
        """608 type 2: a whitelisted resolve URL is approved at once, others after the delay."""
        if self.whitelisted(registration.gotourl):
            return APPROVED
        return review_status(
            registration.review_started_ms, self.now_ms(), self.delay_ms, registration.rejected
        )

    def whitelisted(self, gotourl: str) -> bool:
        entry = self.whitelist.get(gotourl)
        if entry is None:
            return False
        status = review_status(entry.submitted_ms, self.now_ms(), self.delay_ms, entry.rejected)
        return status == APPROVED

    # uploads

    def reserve_short_codes(self, count: int) -> int:
        """The first number of a fresh block of ``count`` short codes."""
        base = self._next_short
        self._next_short += count
        return base

    def uploads_of(self, registration: Registration) -> Iterator[Upload]:
        return (u for u in self.uploads.values() if u.registration is registration)

    def short_codes_ready(self, upload: Upload) -> bool:
        """Short codes exist ``short_code_delay`` seconds (centre time) after the upload."""
        return self.now_ms() >= upload.created_ms + self.config.short_code_delay * 1000

    def add_page(self, endpoint: int, params: dict[str, str]) -> str:
        ticket = self.token()
        self.pages[ticket] = PageTicket(endpoint=endpoint, params=params)
        return ticket
