"""The explicit allowlist of classes a ``.skops`` model file may construct, and its check.

A skops file is a zip archive whose ``schema.json`` says, node by node, which Python object to
build: ``__loader__`` (how), ``__module__`` and ``__class__`` (what). Trusting names by module
prefix is not safe (``numpy.`` reaches functions that evaluate strings), so every node is checked
against explicit sets: estimator, transformer and pipeline classes and their fitted internals
(:data:`ESTIMATOR_CLASSES`), numpy array and dtype constructors (:data:`NUMPY_TYPES`) and plain
containers. Nodes that call or return a function (``FunctionNode``, ``MethodNode``,
``PartialNode``, ``ConstructorFromReduceNode``, ``OperatorFuncNode``, ...) are refused outright.
"""

from __future__ import annotations

import importlib
import json
import zipfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from fairgate.errors import ModelLoadError

__all__ = [
    "CONTAINER_TYPES",
    "ESTIMATOR_CLASSES",
    "NUMPY_TYPES",
    "allowed_type_names",
    "check_skops_schema",
]

ESTIMATOR_CLASSES: tuple[tuple[str, str], ...] = (
    # pipelines and composition
    ("sklearn.pipeline", "Pipeline"),
    ("sklearn.pipeline", "FeatureUnion"),
    ("sklearn.compose", "ColumnTransformer"),
    ("sklearn.compose", "TransformedTargetRegressor"),
    # transformers
    ("sklearn.preprocessing", "OneHotEncoder"),
    ("sklearn.preprocessing", "OrdinalEncoder"),
    ("sklearn.preprocessing", "TargetEncoder"),
    ("sklearn.preprocessing", "StandardScaler"),
    ("sklearn.preprocessing", "MinMaxScaler"),
    ("sklearn.preprocessing", "MaxAbsScaler"),
    ("sklearn.preprocessing", "RobustScaler"),
    ("sklearn.preprocessing", "Normalizer"),
    ("sklearn.preprocessing", "Binarizer"),
    ("sklearn.preprocessing", "KBinsDiscretizer"),
    ("sklearn.preprocessing", "PolynomialFeatures"),
    ("sklearn.preprocessing", "SplineTransformer"),
    ("sklearn.preprocessing", "QuantileTransformer"),
    ("sklearn.preprocessing", "PowerTransformer"),
    ("sklearn.preprocessing", "LabelEncoder"),
    ("sklearn.preprocessing", "LabelBinarizer"),
    ("sklearn.preprocessing", "FunctionTransformer"),  # its func must be None: no FunctionNode
    ("sklearn.impute", "SimpleImputer"),
    ("sklearn.impute", "MissingIndicator"),
    ("sklearn.feature_selection", "VarianceThreshold"),
    ("sklearn.feature_selection", "SelectKBest"),
    ("sklearn.decomposition", "PCA"),
    ("sklearn.decomposition", "TruncatedSVD"),
    # linear models
    ("sklearn.linear_model", "LogisticRegression"),
    ("sklearn.linear_model", "LogisticRegressionCV"),
    ("sklearn.linear_model", "LinearRegression"),
    ("sklearn.linear_model", "Ridge"),
    ("sklearn.linear_model", "RidgeClassifier"),
    ("sklearn.linear_model", "Lasso"),
    ("sklearn.linear_model", "ElasticNet"),
    ("sklearn.linear_model", "SGDClassifier"),
    ("sklearn.linear_model", "SGDRegressor"),
    ("sklearn.linear_model", "PoissonRegressor"),
    # trees and ensembles
    ("sklearn.tree", "DecisionTreeClassifier"),
    ("sklearn.tree", "DecisionTreeRegressor"),
    ("sklearn.tree", "ExtraTreeClassifier"),
    ("sklearn.tree", "ExtraTreeRegressor"),
    ("sklearn.tree._tree", "Tree"),
    ("sklearn.ensemble", "RandomForestClassifier"),
    ("sklearn.ensemble", "RandomForestRegressor"),
    ("sklearn.ensemble", "ExtraTreesClassifier"),
    ("sklearn.ensemble", "ExtraTreesRegressor"),
    ("sklearn.ensemble", "GradientBoostingClassifier"),
    ("sklearn.ensemble", "GradientBoostingRegressor"),
    ("sklearn.ensemble", "HistGradientBoostingClassifier"),
    ("sklearn.ensemble", "HistGradientBoostingRegressor"),
    ("sklearn.ensemble._hist_gradient_boosting.predictor", "TreePredictor"),
    ("sklearn.ensemble._hist_gradient_boosting.binning", "_BinMapper"),
    ("sklearn.dummy", "DummyClassifier"),
    ("sklearn.dummy", "DummyRegressor"),
    # the loss and link objects that fitted boosting models hold
    ("sklearn._loss.loss", "HalfBinomialLoss"),
    ("sklearn._loss.loss", "HalfMultinomialLoss"),
    ("sklearn._loss.loss", "HalfSquaredError"),
    ("sklearn._loss.loss", "AbsoluteError"),
    ("sklearn._loss.loss", "HalfPoissonLoss"),
    ("sklearn._loss._loss", "CyHalfBinomialLoss"),
    ("sklearn._loss._loss", "CyHalfMultinomialLoss"),
    ("sklearn._loss._loss", "CyHalfSquaredError"),
    ("sklearn._loss._loss", "CyAbsoluteError"),
    ("sklearn._loss._loss", "CyHalfPoissonLoss"),
    ("sklearn._loss.link", "LogitLink"),
    ("sklearn._loss.link", "MultinomialLogit"),
    ("sklearn._loss.link", "IdentityLink"),
    ("sklearn._loss.link", "LogLink"),
    ("sklearn._loss.link", "Interval"),
    # neighbours and naive Bayes
    ("sklearn.neighbors", "KNeighborsClassifier"),
    ("sklearn.naive_bayes", "GaussianNB"),
    ("sklearn.naive_bayes", "BernoulliNB"),
    # the random state objects estimators keep
    ("numpy.random", "RandomState"),
    ("numpy.random", "Generator"),
    ("numpy.random", "PCG64"),
    ("numpy.random", "MT19937"),
)
"""``(import path, class name)`` of every class a skops model may construct."""

NUMPY_TYPES: tuple[str, ...] = (
    "numpy.ndarray",
    "numpy.dtype",
    "numpy.bool_",
    "numpy.int8",
    "numpy.int16",
    "numpy.int32",
    "numpy.int64",
    "numpy.uint8",
    "numpy.uint16",
    "numpy.uint32",
    "numpy.uint64",
    "numpy.float16",
    "numpy.float32",
    "numpy.float64",
    "numpy.str_",
    "numpy.bytes_",
    "numpy.object_",
)
"""Array and dtype constructors, by the name skops records (``numpy.<type>``)."""

CONTAINER_TYPES: tuple[str, ...] = (
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.set",
    "builtins.slice",
    "builtins.str",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "builtins.NoneType",
    "builtins.bytes",
    "builtins.complex",
    "collections.OrderedDict",
    "collections.defaultdict",
)
"""Plain data containers and scalars."""

_DATA_LOADERS = {
    "JsonNode",
    "DictNode",
    "ListNode",
    "TupleNode",
    "SetNode",
    "SliceNode",
    "BytesNode",
    "BytearrayNode",
    "DefaultDictNode",
}
_OBJECT_LOADERS = {
    "ObjectNode",
    "TreeNode",
    "LossNode",
    "RandomStateNode",
    "RandomGeneratorNode",
    "BitGeneratorNode",
}
_ARRAY_LOADERS = {"NdArrayNode", "DTypeNode", "MaskedArrayNode"}
_MAX_SCHEMA_BYTES = 64 << 20
_MAX_DEPTH = 200


@cache
def allowed_type_names() -> frozenset[str]:
    """Fully qualified names (``module.Class``, as skops records them) of the allowed classes.

    The classes are imported from their public paths and named by their defining module, so the
    set follows the installed scikit-learn's private module layout without trusting a prefix.
    Classes that the installed versions do not have are left out.

    Returns
    -------
    frozenset of str
    """
    names: set[str] = set(NUMPY_TYPES)
    for module_name, class_name in ESTIMATOR_CLASSES:
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            continue
        if isinstance(cls, type):
            names.add(f"{cls.__module__}.{cls.__qualname__}")
            names.add(f"{module_name}.{class_name}")
    return frozenset(names)


def _nodes(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > _MAX_DEPTH:
        raise ModelLoadError(
            f"the skops schema is nested deeper than {_MAX_DEPTH} levels; this is not a model "
            "fairgate reads. Re-save the model with skops.io.dump."
        )
    if isinstance(node, dict):
        if "__loader__" in node:
            yield node
        for value in node.values():
            yield from _nodes(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value, depth + 1)


def _refusal(node: dict[str, Any]) -> str | None:
    loader = str(node.get("__loader__"))
    if loader == "CachedNode":
        return None  # a reference to a node checked elsewhere in the tree
    name = f"{node.get('__module__')}.{node.get('__class__')}"
    if loader in _DATA_LOADERS:
        return None if name in CONTAINER_TYPES else f"{name} (as {loader})"
    if loader in _ARRAY_LOADERS:
        return None if name in NUMPY_TYPES else f"{name} (as {loader})"
    if loader == "TypeNode":
        return None if name in NUMPY_TYPES or name in CONTAINER_TYPES else f"type {name}"
    if loader in _OBJECT_LOADERS:
        return None if name in allowed_type_names() else name
    return f"{name} (as {loader}: a function or a call, which a model file may not hold)"


def check_skops_schema(path: str | Path) -> list[str]:
    """Check every node of a skops file against the allowlist.

    Parameters
    ----------
    path : str or Path
        A ``.skops`` file whose archive bounds were already checked.

    Returns
    -------
    list of str
        Every type name the file constructs (all allowed), to pass to ``skops.io.load``.

    Raises
    ------
    ModelLoadError
        A node outside the allowlist (the message names them), or no readable schema.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("schema.json")
            if info.file_size > _MAX_SCHEMA_BYTES:
                raise ModelLoadError(
                    f"{path.name}: schema.json is {info.file_size:,} bytes, over the limit of "
                    f"{_MAX_SCHEMA_BYTES:,}; this is not a model fairgate reads."
                )
            schema = json.loads(archive.read(info))
    except (KeyError, zipfile.BadZipFile, ValueError, UnicodeDecodeError) as exc:
        raise ModelLoadError(
            f"{path.name}: not a valid skops file (no readable schema.json: {exc}); save the "
            "model with skops.io.dump and file it again.",
            details={"file": path.name},
        ) from exc
    refused: list[str] = []
    found: set[str] = set()
    for node in _nodes(schema):
        problem = _refusal(node)
        if problem is not None:
            refused.append(problem)
        elif node.get("__loader__") != "CachedNode":
            found.add(f"{node.get('__module__')}.{node.get('__class__')}")
    if refused:
        unique = sorted(set(refused))
        raise ModelLoadError(
            f"{path.name}: the skops file constructs {len(unique)} type(s) that fairgate does not "
            f"allow: {unique[:10]}. A model file may hold only scikit-learn estimators, "
            "transformers and pipelines, numpy arrays and plain data; no functions. Re-save the "
            "model without them (or export it to ONNX).",
            details={"file": path.name, "refused": unique[:50]},
        )
    return sorted(found)
