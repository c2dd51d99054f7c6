using System;
using System.Threading;
using System.Threading.Tasks;

namespace GenBias;

public static partial class CoverageCounter
{
    /// <summary>
    /// Certified bounds on the rate of a preference on first-layer neurons over the uniform cube, for any number of
    /// inputs: each neuron's sum distribution from <see cref="CubeHistogram"/> (exact counts up to
    /// <see cref="FirstLayerExactMaxInputs"/> inputs, a certified interval beyond), the neurons' rates averaged with
    /// every rounding directed outwards. The true rate lies in [Lower, Upper].
    /// </summary>
    /// <remarks>
    /// The assumptions of the histogram's proof are checked here or by the histogram: the preference is over the
    /// uniform cube on layer 0, the first layer is on <see cref="FixedPointGrid"/> (Σ|w| + |b| &lt; 2^24 units per
    /// neuron, checked for each bias), and the histogram fits <see cref="CubeHistogram.MaxEntries"/>.
    /// </remarks>
    /// <exception cref="ArgumentException">The preference is not over the uniform cube, or not on the first layer.</exception>
    /// <exception cref="InvalidOperationException">The first layer is not on the grid, or a neuron's histogram would be too large.</exception>
    internal static (double Lower, double Upper) FirstLayerBounds(ITernaryNetwork network, Preference preference, int maxParallelism,
        CancellationToken cancellationToken)
    {
        NetworkShape shape = network.Shape;
        float[] parameters = Countable(network, preference, shape.InputCount, ShapeRules.MaxInputs);
        if (preference.ResolveLayer(shape) != 0)
        {
            throw new ArgumentException($"{preference}: certified intervals are for first-layer neurons; the preference is on layer {preference.ResolveLayer(shape)}.", nameof(preference));
        }

        LayerShape layer = shape.Layers[0];
        int[] neurons = preference.Neuron is int single ? [single] : [.. System.Linq.Enumerable.Range(0, layer.Width)];
        var bounds = new (double Lower, double Upper)[neurons.Length];
        Parallel.For(0, neurons.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, maxParallelism), CancellationToken = cancellationToken }, i =>
        {
            (int[] weights, long bias) = FirstLayerIntegers(shape, parameters, neurons[i]);
            CubeHistogram histogram = CubeHistogram.Create(weights, cancellationToken);
            if (histogram.IsExact)
            {
                long count = histogram.Count(bias, layer.Activation, preference.Interval, cancellationToken), cube = Pow3(shape.InputCount);
                bounds[i] = ExactRateBounds(count, cube);
            }
            else
            {
                bounds[i] = histogram.RateBounds(bias, layer.Activation, preference.Interval, cancellationToken);
            }
        });

        return AverageOutwards(bounds);
    }

    /// <summary>
    /// Bounds on count / cube in doubles: the rounded quotient widened by more than its three roundings (count, cube
    /// and the division, each within a relative 2^-53), exact at 0 and 1.
    /// </summary>
    internal static (double Lower, double Upper) ExactRateBounds(long count, long cube)
    {
        if (count == 0 || count == cube)
        {
            double rate = count == 0 ? 0 : 1;
            return (rate, rate);
        }

        double q = (double)count / cube, slack = Math.ScaleB(1.0, -50);
        return (Math.BitDecrement(q * (1 - slack)), Math.Min(1, Math.BitIncrement(q * (1 + slack))));
    }

    /// <summary>
    /// Bounds on the mean of rates known to lie in the given intervals: each sum and the division rounded to nearest,
    /// then moved one step outwards (a rounding to nearest is within half a step of the true value, on either side of
    /// a power of two).
    /// </summary>
    internal static (double Lower, double Upper) AverageOutwards(ReadOnlySpan<(double Lower, double Upper)> bounds)
    {
        if (bounds.Length == 1)
        {
            return bounds[0];
        }

        double lower = 0, upper = 0;
        foreach ((double lo, double hi) in bounds)
        {
            lower = Down(lower + lo);
            upper = Up(upper + hi);
        }

        return (Math.Max(0, Down(lower / bounds.Length)), Math.Min(1, Up(upper / bounds.Length)));

        static double Down(double x) => x <= 0 ? 0 : Math.BitDecrement(x);

        static double Up(double x) => x <= 0 ? 0 : Math.BitIncrement(x);
    }
}
