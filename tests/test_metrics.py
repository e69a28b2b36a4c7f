import numpy as np
import pytest
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from inpaint_core import metrics


@pytest.fixture
def pair(photo, rng):
    noisy = np.clip(photo.astype(int) + rng.integers(-20, 21, photo.shape), 0, 255).astype(np.uint8)
    mask = np.zeros(photo.shape[:2], bool)
    mask[30:70, 40:90] = True
    return noisy, photo, mask


def test_ssim_and_psnr_match_scikit_image(pair):
    pred, truth, _ = pair
    ref = structural_similarity(truth / 255.0, pred / 255.0, channel_axis=-1, data_range=1.0)
    assert metrics.ssim(pred, truth) == pytest.approx(ref, abs=1e-4)
    assert metrics.psnr(pred, truth) == pytest.approx(peak_signal_noise_ratio(truth / 255.0, pred / 255.0, data_range=1.0))


def test_hand_computed_values():
    truth = np.zeros((2, 2, 3), np.uint8)
    pred = truth.copy()
    pred[0, 0] = (255, 0, 0)  # one pixel, one channel fully wrong
    pred[0, 1] = (5, 5, 5)  # within +-5: counts as correct for MAEM
    mask = np.zeros((2, 2), bool)
    mask[0] = True
    assert metrics.l1(pred, truth, mask) == pytest.approx((1 + 3 * 5 / 255) / 6)
    assert metrics.mse(pred, truth, mask) == pytest.approx((1 + 3 * (5 / 255) ** 2) / 6)
    # paper's L2: sum of squared errors over the hole / number of hole pixels
    assert metrics.l2_paper(pred, truth, mask) == pytest.approx((1 + 3 * (5 / 255) ** 2) / 2)
    assert metrics.l2_paper(pred, truth, mask, scale=255) == pytest.approx((255**2 + 75) / 2)
    assert metrics.maem(pred, truth, mask) == pytest.approx(50.0)
    pred[0, 1] = (6, 0, 0)
    assert metrics.maem(pred, truth, mask) == pytest.approx(0.0)
    assert metrics.psnr(truth, truth) == np.inf


def test_image_metrics_has_every_column_and_bucket(pair):
    pred, truth, mask = pair
    row = metrics.image_metrics(pred, truth, mask)
    assert set(metrics.METRIC_COLUMNS) <= set(row)
    assert row["bucket"] == "(0.1,0.2]" and row["hole_ratio"] == pytest.approx(2000 / 128**2)
    assert row["mse_full_01"] == pytest.approx(np.mean((pred / 255.0 - truth / 255.0) ** 2))
    assert row["l2paper_hole_01"] == pytest.approx(3 * row["mse_hole_01"])


def test_sample_diversity_is_the_mean_pairwise_rms_in_the_hole():
    mask = np.zeros((2, 2), bool)
    mask[0] = True
    a = np.zeros((2, 2, 3), np.float32)
    b, c = a.copy(), a.copy()
    b[0] = 0.5
    c[1] = 1.0  # differs from a only outside the hole
    assert metrics.sample_diversity([a, b, c], mask) == pytest.approx((0.5 + 0.0 + 0.5) / 3)
    assert metrics.sample_diversity([a, a], mask) == 0.0
    assert np.isnan(metrics.sample_diversity([a], mask))
