"""Properties of the scoring scheme over generated histories (hypothesis).

Each test is named for the guarantee it guards; docs/scoring.md section 8 lists them for
readers outside the code. Histories are generated as a `Spec` (partners, policy, contributions
with their endorsements and fate) and rendered to events, so that one spec can be rendered in
several orders or with renamed partners and the scores compared.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import pytest
from eth_utils.address import to_checksum_address
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ledger.domain.values import DisputeOutcome, Origin, Policy
from ledger.scoring.results import CountStatus, ScoreResult
from ledger.scoring.rules import BPS, lower_median
from tests.ledger.scoring.histories import T0, History, make_policy

AS_OF = T0 + 1_000
Fate = str  # "active", "withdrawn", "disputed", "invalidated"

# Scoring a generated history takes milliseconds, but the specs vary in size; no deadline.
# For a deeper run:
#   SCORING_EXAMPLES=2000 pytest --timeout 0 tests/ledger/scoring/test_scoring_properties.py
EXAMPLES = settings(
    max_examples=int(os.environ.get("SCORING_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Contribution:
    contributor: int
    value: int
    category: int
    origin: Origin
    age: int
    endorsements: tuple[tuple[int, int], ...]  # (endorser index, rating); distinct, not self
    fate: Fate = "active"
    parents: tuple[int, ...] = ()
    """Indices of the contributions it builds on (earlier ones), -1 for one of another project."""

    def cid(self, index: int) -> str:
        # Stable across renderings, so that scores of one spec can be compared id by id.
        return cid_of(index)


def cid_of(index: int) -> str:
    """The id of the spec's contribution at `index` (-1: a contribution of another project)."""
    if index < 0:
        return "0x" + hashlib.sha256(b"another project's contribution").hexdigest()
    return "0x" + hashlib.sha256(f"contribution {index}".encode()).hexdigest()


@dataclass(frozen=True)
class Spec:
    partners: tuple[str, ...]
    policy: Policy
    contributions: tuple[Contribution, ...]
    removed: tuple[int, ...] = ()

    def render(
        self,
        *,
        registration_order: Sequence[int] | None = None,
        endorsement_order: Sequence[int] | None = None,
        rename: Mapping[str, str] | None = None,
        extra_endorsements: Sequence[tuple[int, int, int]] = (),
    ) -> History:
        """Events: registrations, then endorsements, then fates, then removals."""
        name = (lambda p: rename[p]) if rename else (lambda p: p)
        partners = [name(p) for p in self.partners]
        history = History(partners, self.policy)
        for i in registration_order or range(len(self.contributions)):
            c = self.contributions[i]
            history.register(
                partners[c.contributor],
                c.value,
                category=c.category,
                origin=c.origin,
                at=AS_OF - c.age,
                cid=c.cid(i),
                parents=[cid_of(j) for j in c.parents],
            )
        flat = [
            (i, endorser, rating)
            for i, c in enumerate(self.contributions)
            for endorser, rating in c.endorsements
        ]
        for k in endorsement_order or range(len(flat)):
            i, endorser, rating = flat[k]
            history.endorse(self.contributions[i].cid(i), (partners[endorser], rating))
        for i, endorser, rating in extra_endorsements:
            history.endorse(self.contributions[i].cid(i), (partners[endorser], rating))
        for i, c in enumerate(self.contributions):
            cid, contributor = c.cid(i), partners[c.contributor]
            other = partners[(c.contributor + 1) % len(partners)]
            if c.fate == "withdrawn":
                history.withdraw(cid, contributor)
            elif c.fate in ("disputed", "invalidated"):
                history.open_dispute(cid, other)
                if c.fate == "invalidated":
                    history.resolve(cid, DisputeOutcome.UPHELD)
        for index in self.removed:
            history.remove_partner(partners[index])
        return history

    def score(self, **render: object) -> ScoreResult:
        return self.render(**render).score(as_of=AS_OF)  # type: ignore[arg-type]


addresses = st.binary(min_size=20, max_size=20).map(to_checksum_address)
SCALES = (1, 2, 3, 7, 100, 10_000)
WEIGHTS = (0, 1, 2_500, 5_000, 10_000, 15_000)


@st.composite
def specs(
    draw: st.DrawFn,
    *,
    limits: str = "maybe",
    fates: bool = True,
    removals: bool = False,
    min_contributions: int = 0,
    flow: bool = False,
) -> Spec:
    """A history spec; with `flow`, a policy passing a parent share and contributions that
    build on earlier ones (and now and then on another project's)."""
    partners = tuple(draw(st.lists(addresses, min_size=2, max_size=5, unique_by=str.lower)))
    n = len(partners)
    # With a flow, half the specs let (nearly) everything count at once, so that credit has
    # somewhere to go: no zero weights, no quorum or window, few contributions that fail.
    lenient = flow and draw(st.booleans())
    weights = WEIGHTS[1:] if lenient else WEIGHTS
    categories = draw(
        st.lists(
            st.tuples(st.sampled_from(SCALES), st.sampled_from(weights)), min_size=1, max_size=3
        )
    )
    background, result = draw(
        st.tuples(st.sampled_from(weights), st.sampled_from(weights)).filter(lambda w: any(w))
    )
    removed: tuple[int, ...] = ()
    if removals:  # never the coordinator, partner 0
        removed = tuple(draw(st.lists(st.integers(1, n - 1), unique=True, max_size=n - 1)))
    # Limits feasible for the members left (so for every score of the spec): infeasible ones
    # are refused with an error, which the unit tests cover.
    members = n - len(removed)
    cap = floor = 0
    if limits in ("cap", "maybe") and (limits == "cap" or draw(st.booleans())):
        cap = draw(st.integers(-(-BPS // members), BPS))
    if limits in ("floor", "maybe") and (limits == "floor" or draw(st.booleans())):
        floor = draw(st.integers(1, min(BPS // members, cap or BPS)))
    policy = make_policy(
        categories,
        background=background,
        result=result,
        quorum=0 if lenient else draw(st.integers(0, min(2, n - 1))),
        window=0 if lenient else draw(st.integers(0, 100)),
        cap=cap,
        floor=floor,
        parent_share=draw(st.sampled_from((1, 2_000, 3_333, 5_000, 9_999))) if flow else 0,
    )

    @st.composite
    def contribution(inner: st.DrawFn, index: int) -> Contribution:
        contributor = inner(st.integers(0, n - 1))
        others = [i for i in range(n) if i != contributor]
        endorsers = inner(st.lists(st.sampled_from(others), unique=True, max_size=len(others)))
        failing = ["withdrawn", "disputed", "invalidated"]
        return Contribution(
            contributor=contributor,
            value=inner(st.integers(1 if lenient else 0, 1_000) | st.integers(1, 10**12)),
            # == len: an unknown category
            category=inner(st.integers(0, len(categories) - lenient)),
            origin=inner(st.sampled_from(Origin)),
            age=inner(st.integers(0, 200)),
            endorsements=tuple((e, inner(st.integers(1, 5))) for e in endorsers),
            fate=inner(st.sampled_from(["active"] * (15 if lenient else 5) + failing))
            if fates
            else "active",
            parents=tuple(inner(st.lists(st.integers(-1, index - 1), max_size=3))) if flow else (),
        )

    count = draw(st.integers(min_contributions, 12))
    contributions = tuple(draw(contribution(index)) for index in range(count))
    return Spec(partners, policy, contributions, removed)


def shares(result: ScoreResult) -> dict[str, Fraction]:
    return {p.partner: p.share_after for p in result.partners}


def bps(result: ScoreResult) -> dict[str, int]:
    return {p.partner: p.bps for p in result.partners}


# ------------------------------------------------------------------------ sums and limits


@EXAMPLES
@given(specs(removals=True))
def test_score_split_always_sums_to_10000(spec: Spec) -> None:
    result = spec.score()
    if result.counted_count:
        assert sum(entry.bps for entry in result.split) == BPS
        assert all(entry.bps > 0 for entry in result.split)
        assert sum(shares(result).values()) == 1
    else:
        assert result.split == ()
        assert result.empty_reason == "NO_COUNTED_CONTRIBUTIONS"


@EXAMPLES
@given(specs(limits="cap", removals=True))
def test_score_never_exceeds_cap(spec: Spec) -> None:
    result = spec.score()
    cap = spec.policy.partner_cap_bps
    assert all(p.bps <= cap for p in result.partners)
    assert all(p.share_after <= Fraction(cap, BPS) for p in result.partners)


@EXAMPLES
@given(specs(limits="floor", removals=True))
def test_score_never_gives_member_less_than_floor(spec: Spec) -> None:
    result = spec.score()
    floor = spec.policy.partner_floor_bps
    if result.counted_count:  # an empty split has no shares to guarantee
        assert all(p.bps >= floor for p in result.partners if p.member)


# ------------------------------------------------------------------------ invariances


@EXAMPLES
@given(specs(), st.randoms(use_true_random=False))
def test_score_invariant_under_endorsement_order(spec: Spec, random: object) -> None:
    flat = sum(len(c.endorsements) for c in spec.contributions)
    order = list(range(flat))
    random.shuffle(order)  # type: ignore[attr-defined]
    before, after = spec.score(), spec.score(endorsement_order=order)
    assert after == before  # split, explanations and input-set hash alike


@EXAMPLES
@given(specs(), st.randoms(use_true_random=False))
def test_score_split_invariant_under_registration_order(spec: Spec, random: object) -> None:
    order = list(range(len(spec.contributions)))
    random.shuffle(order)  # type: ignore[attr-defined]
    before, after = spec.score(), spec.score(registration_order=order)
    assert after.split == before.split
    assert shares(after) == shares(before)
    # The input-set hash follows chain order, so only the counted set is compared here.
    assert sorted(after.input_set()) == sorted(before.input_set())


@EXAMPLES
@given(specs(), st.data())
def test_score_relabelling_partners_permutes_split(spec: Spec, data: st.DataObject) -> None:
    fresh = data.draw(
        st.lists(
            addresses, min_size=len(spec.partners), max_size=len(spec.partners), unique_by=str.lower
        )
    )
    rename = dict(zip(spec.partners, fresh, strict=True))
    before, after = spec.score(), spec.score(rename=rename)
    renamed_shares = {rename[p]: s for p, s in shares(before).items()}
    assert shares(after) == renamed_shares
    # Basis points move only by the tie rule: between partners with exactly equal remainders.
    remainders = {p: (s * BPS) % 1 for p, s in shares(after).items()}
    for p, share in bps(before).items():
        moved = bps(after)[rename[p]] - share
        assert abs(moved) <= 1
        if moved:
            tied = [
                q for q in remainders if q != rename[p] and remainders[q] == remainders[rename[p]]
            ]
            assert tied


# ------------------------------------------------------------------------ manipulation


@EXAMPLES
@given(specs(min_contributions=1), st.data())
def test_splitting_contribution_does_not_raise_contributor_share(
    spec: Spec, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(spec.contributions) - 1))
    original = spec.contributions[index]
    assume(original.value >= 2)
    cuts = sorted(data.draw(st.sets(st.integers(1, original.value - 1), min_size=1, max_size=4)))
    values = [b - a for a, b in zip([0, *cuts], [*cuts, original.value], strict=True)]
    pieces = tuple(dataclasses.replace(original, value=v) for v in values)
    spammed = dataclasses.replace(
        spec,
        contributions=spec.contributions[:index] + pieces + spec.contributions[index + 1 :],
    )
    before, after = spec.score(), spammed.score()
    contributor = spec.partners[original.contributor]
    assert after.partner(contributor).raw_points == before.partner(contributor).raw_points
    assert shares(after) == shares(before)
    assert after.split == before.split


@EXAMPLES
@given(specs(min_contributions=1), st.data())
def test_self_endorsements_do_not_change_score(spec: Spec, data: st.DataObject) -> None:
    extra = [
        (i, c.contributor, data.draw(st.integers(1, 5)))
        for i, c in enumerate(spec.contributions)
        if data.draw(st.booleans())
    ]
    before, after = spec.score(), spec.score(extra_endorsements=extra)
    assert after == before


@EXAMPLES
@given(specs(min_contributions=1), st.data())
def test_partner_ratings_never_change_its_own_points(spec: Spec, data: st.DataObject) -> None:
    partner = data.draw(st.integers(0, len(spec.partners) - 1))
    rerated = dataclasses.replace(
        spec,
        contributions=tuple(
            dataclasses.replace(
                c,
                endorsements=tuple(
                    (e, data.draw(st.integers(1, 5)) if e == partner else r)
                    for e, r in c.endorsements
                ),
            )
            for c in spec.contributions
        ),
    )
    address = spec.partners[partner]
    assert rerated.score().partner(address).raw_points == spec.score().partner(address).raw_points


@EXAMPLES
@given(
    st.lists(st.integers(1, 5), min_size=1, max_size=9),
    st.integers(1, 5),
)
def test_single_colluding_endorser_stays_within_neighbouring_ratings(
    honest: list[int], colluder: int
) -> None:
    ordered = sorted(honest)
    middle = (len(honest) + 1 - 1) // 2  # position of the lower median among n = honest + 1
    lowest = ordered[middle - 1] if middle > 0 else 1
    highest = ordered[middle]
    assert lowest <= lower_median([*honest, colluder]) <= highest


@EXAMPLES
@given(specs(limits="none", fates=False, min_contributions=1), st.data())
def test_single_colluding_endorser_bounds_contribution_rating(
    spec: Spec, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(spec.contributions) - 1))
    target = spec.contributions[index]
    assume(len(target.endorsements) >= 2)
    colluder = data.draw(st.integers(0, len(target.endorsements) - 1))
    honest = [r for k, (_, r) in enumerate(target.endorsements) if k != colluder]
    forced = [
        dataclasses.replace(
            target,
            endorsements=tuple(
                (e, rating if k == colluder else r) for k, (e, r) in enumerate(target.endorsements)
            ),
        )
        for rating in (1, 5)
    ]
    ordered, middle = sorted(honest), (len(target.endorsements) - 1) // 2
    for variant in forced:
        changed = dataclasses.replace(
            spec,
            contributions=(*spec.contributions[:index], variant, *spec.contributions[index + 1 :]),
        )
        rating = changed.score().explain(target.cid(index)).rating
        assert rating is not None
        assert (ordered[middle - 1] if middle else 1) <= rating <= ordered[middle]


@EXAMPLES
@given(specs(removals=True), st.data())
def test_adding_validated_contribution_never_lowers_contributor_share(
    spec: Spec, data: st.DataObject
) -> None:
    n = len(spec.partners)
    contributor = data.draw(st.integers(0, n - 1))
    others = [i for i in range(n) if i != contributor and i not in spec.removed]
    assume(contributor not in spec.removed and len(others) >= spec.policy.endorsement_quorum)
    categories = [i for i, c in enumerate(spec.policy.categories) if c.weight_bps]
    origins = [
        o
        for o in Origin
        if (
            spec.policy.result_weight_bps
            if o is Origin.RESULT
            else spec.policy.background_weight_bps
        )
    ]
    assume(categories and origins)
    added = Contribution(
        contributor=contributor,
        value=data.draw(st.integers(1, 10**6)),
        category=data.draw(st.sampled_from(categories)),
        origin=data.draw(st.sampled_from(origins)),
        age=spec.policy.dispute_window,
        endorsements=tuple((e, data.draw(st.integers(1, 5))) for e in others),
    )
    grown = dataclasses.replace(spec, contributions=(*spec.contributions, added))
    before, after = spec.score(), grown.score()
    address = spec.partners[contributor]
    assert after.explain(added.cid(len(spec.contributions))).status is CountStatus.COUNTED
    assert after.partner(address).share_after >= before.partner(address).share_after
    assert after.partner(address).bps >= before.partner(address).bps - 1


# ------------------------------------------------------------------------ explanations


@EXAMPLES
@given(specs(removals=True))
def test_explanations_agree_with_split(spec: Spec) -> None:
    result = spec.score()
    explanations = list(result.contributions())
    counted = [e for e in explanations if e.status is CountStatus.COUNTED]
    assert [(e.contribution_id, e.rating) for e in counted] == list(result.input_set())
    for partner in result.partners:
        mine = [e for e in explanations if e.contributor == partner.partner]
        assert partner.counted == tuple(e.contribution_id for e in mine if e in counted)
        assert partner.not_counted == tuple(e.contribution_id for e in mine if e not in counted)
        assert partner.raw_points == sum((e.points for e in mine), Fraction(0))
    for e in explanations:
        assert (e.points > 0) == (e.status is CountStatus.COUNTED)
        if e.status is CountStatus.QUORUM_NOT_MET:
            assert len(e.endorsements) < e.quorum


@pytest.mark.parametrize("fate", ["withdrawn", "disputed", "invalidated"])
def test_spec_fates_render_to_their_reason_codes(fate: Fate) -> None:
    a, b = (to_checksum_address(bytes([i]) * 20) for i in (1, 2))
    spec = Spec(
        (a, b), make_policy(window=0), (Contribution(0, 5, 0, Origin.RESULT, 0, ((1, 3),), fate),)
    )
    expected = {
        "withdrawn": CountStatus.WITHDRAWN,
        "disputed": CountStatus.DISPUTE_OPEN,
        "invalidated": CountStatus.INVALIDATED_BY_DISPUTE,
    }[fate]
    assert spec.score().explain(spec.contributions[0].cid(0)).status is expected
