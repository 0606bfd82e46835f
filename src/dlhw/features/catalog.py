"""The named feature maps of hw2526.q1.2b, each with why it is a good representation.

``pixels`` (784, the baseline), ``pool2`` (196) and ``pool4`` (49) for cheaper training,
``hog`` (4x4-pixel cells, 1296), ``hog7`` (7x7-pixel cells, 324) and ``hog+pool4`` (1345, HOG
plus the 4x4-pooled image, the representation the q1.2c grid compares with raw pixels).

The rationale and references are data (``FEATURE_MAPS[name].rationale``), so the report quotes
exactly what sits next to the code.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from dlhw.features.base import N_PIXELS, FeatureMap
from dlhw.features.hog import hog_dim, hog_images
from dlhw.features.pooling import avg_pool_images

DALAL_TRIGGS = ("Dalal, N. and Triggs, B. (2005). Histograms of oriented gradients for human "
                "detection. CVPR, pages 886-893.")
LOWE = ("Lowe, D. G. (2004). Distinctive image features from scale-invariant keypoints. "
        "International Journal of Computer Vision 60(2), 91-110.")
EBRAHIMZADEH = ("Ebrahimzadeh, R. and Jampour, M. (2014). Efficient handwritten digit recognition "
                "based on histogram of oriented gradients and SVM. International Journal of "
                "Computer Applications 104(9).")
LECUN = ("LeCun, Y., Bottou, L., Bengio, Y. and Haffner, P. (1998). Gradient-based learning applied "
         "to document recognition. Proceedings of the IEEE 86(11), 2278-2324.")
BOUREAU = ("Boureau, Y.-L., Ponce, J. and LeCun, Y. (2010). A theoretical analysis of feature "
           "pooling in visual recognition. ICML, pages 111-118.")
COHEN = ("Cohen, G., Afshar, S., Tapson, J. and van Schaik, A. (2017). EMNIST: an extension of MNIST "
         "to handwritten letters. arXiv:1702.05373.")

HOG_RATIONALE = (
    "A linear model on raw pixels must learn, for every class, a weight per pixel position, so a "
    "letter drawn one or two pixels to the side or with a thicker pen looks like a different input. "
    "HOG describes each small cell of the image by the distribution of its edge directions, weighted "
    "by edge strength: the strokes that make up a letter (vertical bar, diagonal, curve) become "
    "explicit features, small shifts inside a cell do not change the histogram, and the block "
    "normalisation removes global and local contrast (pen pressure, scanner gain). Classes that are "
    "linearly hard to separate in pixel space (e.g. 'g' and 'q', shirt and pullover) become easier "
    "to separate in this space, which is what a linear classifier needs. HOG with a linear classifier "
    "is the recipe of Dalal & Triggs (2005), in the tradition of SIFT's gradient histograms "
    "(Lowe, 2004), and HOG features have been used for handwritten digits (Ebrahimzadeh & Jampour, "
    "2014, with a support vector machine as the classifier).")
POOL_RATIONALE = (
    "Averaging each {s}x{s} block of pixels keeps the coarse shape of the character and discards "
    "pixel-level detail that is mostly noise for 28x28 handwriting (stroke width, anti-aliasing). "
    "It divides the number of weights, and hence the cost of every SGD step and of prediction, by "
    "{factor}, and because pooled features are averages they vary less from sample to sample, so "
    "SGD is no less stable. Subsampling after local averaging is the pooling of LeNet (LeCun et "
    "al., 1998); Boureau et al. (2010) analyse why average pooling preserves discriminative "
    "information. EMNIST itself was made by downsampling larger scans (Cohen et al., 2017), so a "
    "coarser grid loses little.")


def _pool_map(size: int) -> FeatureMap:
    side = 28 // size
    return FeatureMap(
        name=f"pool{size}", kernel=partial(avg_pool_images, size=size), output_dim=side * side,
        goal="efficiency", rationale=POOL_RATIONALE.format(s=size, factor=size * size),
        references=(LECUN, BOUREAU, COHEN),
        invariance="the mean of the features equals the mean of the pixels")


def _hog_map(name: str, cell: int, with_pool: int | None = None) -> FeatureMap:
    hog = partial(hog_images, cell=cell, block=2, bins=9)
    dim = hog_dim(cell, 2, 9)
    kernel, rationale = hog, HOG_RATIONALE
    if with_pool is not None:
        kernel = partial(_concat, hog, partial(avg_pool_images, size=with_pool))
        dim += (28 // with_pool) ** 2
        rationale += (f" The {with_pool}x{with_pool}-pooled pixels are appended so that the model "
                      "also sees where the ink is (HOG only sees edges), at little extra cost.")
    return FeatureMap(
        name=name, kernel=kernel, output_dim=dim, goal="accuracy",
        rationale=rationale + f" Here: {cell}x{cell}-pixel cells, 2x2-cell blocks, 9 unsigned bins.",
        references=(DALAL_TRIGGS, LOWE, EBRAHIMZADEH),
        invariance="HOG part invariant to brightness changes a*X + b with a > 0")


def _concat(*kernels_and_images):
    *kernels, images = kernels_and_images
    return np.concatenate([k(images) for k in kernels], axis=1)


def _pixels(images: np.ndarray) -> np.ndarray:
    return images.reshape(len(images), -1)


PIXELS = FeatureMap(name="pixels", kernel=_pixels, output_dim=N_PIXELS, goal="baseline",
                    rationale="The default representation: the 784 pixel intensities, flattened.",
                    references=(), invariance="identity")

FEATURE_MAPS: dict[str, FeatureMap] = {m.name: m for m in (
    PIXELS,
    _pool_map(2),
    _pool_map(4),
    _hog_map("hog", cell=4),
    _hog_map("hog7", cell=7),
    _hog_map("hog+pool4", cell=4, with_pool=4),
)}
