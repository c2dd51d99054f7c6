using System;

namespace GenBias;

/// <summary>
/// Declares a <see cref="Preference"/> on a <see cref="TernaryNetworkAttribute"/> network: which neuron, which
/// activation values, how often, over which inputs. The generator checks it (GB0012–GB0017) and exposes the
/// declared preferences as the static <c>Preferences</c> list for the trainer.
/// </summary>
/// <example>
/// <code>
/// [Prefer(Above = 0.5, AtLeast = 0.6)]                      // the output, over all 3^n inputs
/// [Prefer(Layer = 0, AllNeurons = true, Below = 0, AtMost = 0.5)]
/// </code>
/// </example>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class PreferAttribute : Attribute
{
    /// <summary>The layer (0 is the first hidden layer); -1, the default, is the output layer.</summary>
    public int Layer { get; set; } = -1;

    /// <summary>The neuron within the layer (0 by default).</summary>
    public int Neuron { get; set; }

    /// <summary>Every neuron of the layer (their rates are averaged) instead of <see cref="Neuron"/>.</summary>
    public bool AllNeurons { get; set; }

    /// <summary>Preferred activations are above this value (with <see cref="Below"/>: between the two).</summary>
    public double Above { get; set; } = double.NaN;

    /// <summary>Preferred activations are below this value.</summary>
    public double Below { get; set; } = double.NaN;

    /// <summary>The rate must be at least this fraction.</summary>
    public double AtLeast { get; set; } = double.NaN;

    /// <summary>The rate must be at most this fraction.</summary>
    public double AtMost { get; set; } = double.NaN;

    /// <summary>The rate must be this fraction, within <see cref="Tolerance"/>.</summary>
    public double About { get; set; } = double.NaN;

    /// <summary>The tolerance of <see cref="About"/>.</summary>
    public double Tolerance { get; set; } = 0.01;

    /// <summary>The inputs the rate is measured over: the uniform cube (default) or the training data.</summary>
    public PreferenceDistribution Over { get; set; } = PreferenceDistribution.UniformCube;

    /// <summary>How the trainer enforces the preference.</summary>
    public EnforcementMethod Method { get; set; } = EnforcementMethod.ProxyLagrangian;
}
