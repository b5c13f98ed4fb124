"""Detectors: prohibited variables and their proxies, the counterfactual flip test, representation.

They work on a bounded sample of the audit data, never on all of it.
"""

from fairgate.detectors.content import Evidence, content_evidence
from fairgate.detectors.flip import FlipPair, FlipResult, flip_test
from fairgate.detectors.prohibited import ProhibitedFinding, find_prohibited, is_prc_resident_id
from fairgate.detectors.proxies import (
    JointProxy,
    ProxyFinding,
    ProxyReport,
    cramers_v,
    scan_proxies,
)
from fairgate.detectors.representation import GroupShare, RepresentationResult, representation
from fairgate.detectors.sensitive_names import (
    CATEGORIES,
    DEFAULT_PROHIBITED,
    category_of_name,
    matching_word,
)

__all__ = [
    "CATEGORIES",
    "DEFAULT_PROHIBITED",
    "Evidence",
    "FlipPair",
    "FlipResult",
    "GroupShare",
    "JointProxy",
    "ProhibitedFinding",
    "ProxyFinding",
    "ProxyReport",
    "RepresentationResult",
    "category_of_name",
    "content_evidence",
    "cramers_v",
    "find_prohibited",
    "flip_test",
    "is_prc_resident_id",
    "matching_word",
    "representation",
    "scan_proxies",
]
