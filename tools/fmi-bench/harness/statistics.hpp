// Order statistics of a set of samples: median and the 10th/90th percentiles
// describe noisy machines better than a mean and a standard deviation.
#pragma once

#include <cstddef>
#include <vector>

namespace fmibench {

struct Summary {
    std::size_t count = 0;
    double median = 0, p10 = 0, p90 = 0, min = 0, max = 0, mean = 0;
};

/// The q-quantile (0..1) of sorted samples, interpolating linearly between
/// neighbours (the definition numpy and R use by default).
double quantile(const std::vector<double>& sorted, double q);

/// Summary of the samples (all zero for none).
Summary summarize(std::vector<double> samples);

}  // namespace fmibench
