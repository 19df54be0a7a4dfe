"""The cleaning rules extraction applies, each one a switch so the benchmark can weigh it.

Every rule here is weighed by the ablation in `benchmarks/extraction.py --ablation` on the two
development corpora (the article-extraction-benchmark and the multilingual
readability-test-pages): a rule that lowers F1 on either is fixed or goes; one that helps on one
corpus may cost the other only what that corpus's reference keeps by convention (the headline,
"Related:" links, which Readability keeps); one that changes neither corpus stays only with a
fixture test of the shape it targets (paywalls, donation pleas, Chinese portals). The README's
"Extraction quality" holds the table. The crawl always uses `ALL_RULES`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Rules:
    pruning: bool = True  # remove barriers, dialogs and named widgets before trafilatura
    split_body_join: bool = True  # join an article body split over sibling containers
    navigation_pass: bool = True  # a menu-shaped result gets trafilatura's full (non-fast) pass
    safety_net: bool = True  # restore what trafilatura's full pass keeps and nothing excuses
    barrier_cut: bool = True  # drop a trailing subscription barrier and all after it
    leading_title: bool = True  # drop the headline repeated as the first line
    # line-rule families (`pipeline.extract.clean.LINE_RULES`)
    lines_subscription: bool = True
    lines_prices: bool = True
    lines_teasers: bool = True
    lines_share: bool = True
    lines_notices: bool = True
    lines_consent: bool = True
    lines_donation: bool = True
    lines_credits: bool = True
    lines_contact: bool = True
    lines_newsletter: bool = True
    lines_tags: bool = True
    lines_chinese: bool = True

    def line_families(self) -> frozenset[str]:
        """Names of the line-rule families switched on (`lines_share` -> ``share``)."""
        return frozenset(
            field.name.removeprefix("lines_")
            for field in fields(self)
            if field.name.startswith("lines_") and getattr(self, field.name)
        )


ALL_RULES = Rules()
