"""The spec table: one declaration per name of the array API standard (2025.12).

Every other layer reads this table: the namespace generator (which functions
record), the rule registry (which names may carry a VJP), the coverage test
(which names must have a rule and a conformance record) and the docs.

Columns: ``name  module  category  class  array-parameters...  [flags]``

* module: ``-`` for the main namespace, ``linalg`` or ``fft`` for extensions,
  ``special`` for the special functions (not in the standard yet: SciPy's
  names, which SciPy looks up as ``xp.special.<name>``; see ``_SPECIAL``).
* class: ``D`` differentiable, ``P`` piecewise (zero almost everywhere, or
  routing at kinks/ties; still has a rule), ``N`` no gradient (integer/bool
  output, queries), ``C`` creation of constants, ``K`` composite (a NumPy
  extra built from recorded functions of the standard: differentiable through
  them, so it has no rule of its own, but it has a conformance record).
* array parameters: the parameters that may hold arrays; ``[arrays]`` is a
  sequence of arrays in the first position, ``*arrays`` is a var-positional.
* flags: ``multi`` (returns a tuple of arrays), ``query`` (returns no array).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Spec", "SPECS", "DIFFERENTIABLE", "COMPOSITE"]


@dataclass(frozen=True)
class Spec:
    """One entry of the standard: where it lives and how it is recorded."""

    name: str
    module: str  # "" (main namespace), "linalg", "fft" or "special"
    category: str
    cls: str  # D, P, N, C or K
    arrays: tuple[str, ...]  # parameters that may hold arrays
    sequence: str = ""  # "" | "list" (first argument is a sequence) | "varargs"
    multi: bool = False
    query: bool = False

    @property
    def differentiable(self) -> bool:
        """Whether the entry has (and must have) a VJP rule."""
        return self.cls in ("D", "P")

    @property
    def composite(self) -> bool:
        """Whether the entry is built from recorded functions (no rule; has a record)."""
        return self.cls == "K"

    @property
    def standard(self) -> bool:
        """Whether the name is in the array API standard (the special functions and the
        NumPy extras are not: ag_bridge offers them for downstream libraries)."""
        return self.module != "special" and self.category != "extras"

    @property
    def qualname(self) -> str:
        """``linalg.solve`` style name, as the registry keys rules."""
        return f"{self.module}.{self.name}" if self.module else self.name


_TABLE = """
abs                  - elementwise   P x
acos                 - elementwise   D x
acosh                - elementwise   D x
add                  - elementwise   D x1 x2
asin                 - elementwise   D x
asinh                - elementwise   D x
atan                 - elementwise   D x
atan2                - elementwise   D x1 x2
atanh                - elementwise   D x
bitwise_and          - elementwise   N x1 x2
bitwise_invert       - elementwise   N x
bitwise_left_shift   - elementwise   N x1 x2
bitwise_or           - elementwise   N x1 x2
bitwise_right_shift  - elementwise   N x1 x2
bitwise_xor          - elementwise   N x1 x2
ceil                 - elementwise   P x
clip                 - elementwise   P x min max
conj                 - elementwise   D x
copysign             - elementwise   P x1 x2
cos                  - elementwise   D x
cosh                 - elementwise   D x
divide               - elementwise   D x1 x2
equal                - elementwise   N x1 x2
exp                  - elementwise   D x
expm1                - elementwise   D x
floor                - elementwise   P x
floor_divide         - elementwise   P x1 x2
greater              - elementwise   N x1 x2
greater_equal        - elementwise   N x1 x2
hypot                - elementwise   D x1 x2
imag                 - elementwise   D x
isfinite             - elementwise   N x
isinf                - elementwise   N x
isnan                - elementwise   N x
less                 - elementwise   N x1 x2
less_equal           - elementwise   N x1 x2
log                  - elementwise   D x
log1p                - elementwise   D x
log2                 - elementwise   D x
log10                - elementwise   D x
logaddexp            - elementwise   D x1 x2
logical_and          - elementwise   N x1 x2
logical_not          - elementwise   N x
logical_or           - elementwise   N x1 x2
logical_xor          - elementwise   N x1 x2
maximum              - elementwise   P x1 x2
minimum              - elementwise   P x1 x2
multiply             - elementwise   D x1 x2
negative             - elementwise   D x
nextafter            - elementwise   P x1 x2
not_equal            - elementwise   N x1 x2
positive             - elementwise   D x
pow                  - elementwise   D x1 x2
real                 - elementwise   D x
reciprocal           - elementwise   D x
remainder            - elementwise   P x1 x2
round                - elementwise   P x
sign                 - elementwise   P x
signbit              - elementwise   N x
sin                  - elementwise   D x
sinh                 - elementwise   D x
sqrt                 - elementwise   D x
square               - elementwise   D x
subtract             - elementwise   D x1 x2
tan                  - elementwise   D x
tanh                 - elementwise   D x
trunc                - elementwise   P x
arange               - creation      C
asarray              - creation      D obj
empty                - creation      C
empty_like           - creation      C x
eye                  - creation      C
from_dlpack          - creation      C x
full                 - creation      C
full_like            - creation      C x
linspace             - creation      C
meshgrid             - creation      D *arrays multi
ones                 - creation      C
ones_like            - creation      C x
tril                 - creation      D x
triu                 - creation      D x
zeros                - creation      C
zeros_like           - creation      C x
astype               - data_type     D x
can_cast             - data_type     N query
finfo                - data_type     N query
iinfo                - data_type     N query
isdtype              - data_type     N query
result_type          - data_type     N query
take                 - indexing      D x indices
take_along_axis      - indexing      D x indices
matmul               - linear_algebra D x1 x2
matrix_transpose     - linear_algebra D x
tensordot            - linear_algebra D x1 x2
vecdot               - linear_algebra D x1 x2
broadcast_arrays     - manipulation  D *arrays multi
broadcast_shapes     - manipulation  N query
broadcast_to         - manipulation  D x
concat               - manipulation  D [arrays]
expand_dims          - manipulation  D x
flip                 - manipulation  D x
moveaxis             - manipulation  D x
permute_dims         - manipulation  D x
repeat               - manipulation  D x repeats
reshape              - manipulation  D x
roll                 - manipulation  D x
squeeze              - manipulation  D x
stack                - manipulation  D [arrays]
tile                 - manipulation  D x
unstack              - manipulation  D x multi
argmax               - searching     N x
argmin               - searching     N x
count_nonzero        - searching     N x
nonzero              - searching     N x multi
searchsorted         - searching     N x1 x2 sorter
where                - searching     D condition x1 x2
isin                 - set           N x1 x2
unique_all           - set           N x multi
unique_counts        - set           N x multi
unique_inverse       - set           N x multi
unique_values        - set           N x
argsort              - sorting       N x
sort                 - sorting       P x
cumulative_prod      - statistical   D x
cumulative_sum       - statistical   D x
max                  - statistical   P x
mean                 - statistical   D x
min                  - statistical   P x
prod                 - statistical   D x
std                  - statistical   D x
sum                  - statistical   D x
var                  - statistical   D x
all                  - utility       N x
any                  - utility       N x
diff                 - utility       D x prepend append
__array_namespace_info__ - inspection N query
cholesky             linalg linalg   D x
cross                linalg linalg   D x1 x2
det                  linalg linalg   D x
diagonal             linalg linalg   D x
eig                  linalg linalg   D x multi
eigh                 linalg linalg   D x multi
eigvals              linalg linalg   D x
eigvalsh             linalg linalg   D x
inv                  linalg linalg   D x
matmul               linalg linalg   D x1 x2
matrix_norm          linalg linalg   D x
matrix_power         linalg linalg   D x
matrix_rank          linalg linalg   N x
matrix_transpose     linalg linalg   D x
outer                linalg linalg   D x1 x2
pinv                 linalg linalg   D x rtol
qr                   linalg linalg   D x multi
slogdet              linalg linalg   D x multi
solve                linalg linalg   D x1 x2
svd                  linalg linalg   D x multi
svdvals              linalg linalg   D x
tensordot            linalg linalg   D x1 x2
trace                linalg linalg   D x
vecdot               linalg linalg   D x1 x2
vector_norm          linalg linalg   D x
fft                  fft    fft      D x
fftfreq              fft    fft      C
fftn                 fft    fft      D x
fftshift             fft    fft      D x
hfft                 fft    fft      D x
ifft                 fft    fft      D x
ifftn                fft    fft      D x
ifftshift            fft    fft      D x
ihfft                fft    fft      D x
irfft                fft    fft      D x
irfftn               fft    fft      D x
rfft                 fft    fft      D x
rfftfreq             fft    fft      C
rfftn                fft    fft      D x
"""


def _parse(table: str) -> dict[str, Spec]:
    specs: dict[str, Spec] = {}
    for line in table.strip().splitlines():
        name, module, category, cls, *rest = line.split()
        multi = "multi" in rest
        query = "query" in rest
        params = [p for p in rest if p not in ("multi", "query")]
        sequence = ""
        if params and params[0] == "[arrays]":
            sequence, params = "list", ["arrays"]
        elif params and params[0] == "*arrays":
            sequence, params = "varargs", ["arrays"]
        module = "" if module == "-" else module
        spec = Spec(name, module, category, cls, tuple(params), sequence, multi, query)
        specs[spec.qualname] = spec
    return specs


#: Every entry, keyed by qualified name (``"sin"``, ``"linalg.solve"``).
SPECS: dict[str, Spec] = _parse(_TABLE)

# Array-object entries that are not functions of the namespace but record
# their own nodes (operators reuse the function entries above).
_ARRAY_OBJECT = """
__getitem__          - array_object  D x
__setitem__          - array_object  D x value
to_device            - array_object  D x
"""
SPECS.update(_parse(_ARRAY_OBJECT))
# The special functions (module ``special``; SciPy's names and signatures, the ones
# SciPy's array-API layer looks up as ``xp.special.<name>``). ``n``/``a``/``b``/``v``/``df``
# are shape parameters: they may be arrays but get no gradient (a recorded one is an
# error at backward). ``psi`` is SciPy's name of ``digamma`` (the one SciPy looks up).
# Forwards and what backs them: ag_bridge/_special.py.
_SPECIAL = """
erf                  special special D x
erfc                 special special D x
erfinv               special special D x
expit                special special D x
logit                special special D x
log_ndtr             special special D x
ndtr                 special special D x
ndtri                special special D x
gammaln              special special D x
digamma              special special D x
psi                  special special D x
polygamma            special special D n x
xlogy                special special D x y
xlog1py              special special D x y
entr                 special special D x
rel_entr             special special D x y
i0                   special special D x
i1                   special special D x
i0e                  special special D x
i1e                  special special D x
log_softmax          special special D x
logsumexp            special special D x
gammainc             special special D a x
gammaincc            special special D a x
betainc              special special D a b x
betaincc             special special D a b x
stdtr                special special D df t
chdtrc               special special D v x
"""

# NumPy extras that downstream libraries (xarray, einops, opt_einsum, SciPy) ask an array
# namespace for (xarray looks up the ``nan*`` ones with skipna, and ``sliding_window_view``
# as ``xp.lib.stride_tricks.sliding_window_view`` for rolling windows). ``einsum`` records
# one node (its VJP is an einsum); the ``K`` entries are
# compositions of recorded functions of the standard (ag_bridge/_extras.py).
_EXTRAS = """
einsum               - extras        D *arrays
cumsum               - extras        K x
cumprod              - extras        K x
pad                  - extras        K x
quantile             - extras        K x
nanmean              - extras        K x
nansum               - extras        K x
gradient             - extras        K x
nanvar               - extras        K x
nanstd               - extras        K x
nancumsum            - extras        K x
nanquantile          - extras        K x
sliding_window_view  - extras        K x
"""
SPECS.update(_parse(_SPECIAL))
SPECS.update(_parse(_EXTRAS))
#: The qualified names that must carry a VJP rule.
DIFFERENTIABLE: tuple[str, ...] = tuple(n for n, s in SPECS.items() if s.differentiable)

#: The composite entries: built from recorded functions, each needs a conformance record.
COMPOSITE: tuple[str, ...] = tuple(n for n, s in SPECS.items() if s.composite)
