using System;
using System.Globalization;
using System.Linq;

namespace GenBias;

/// <summary>How a preference's rate compares with its target.</summary>
public enum PreferenceRelation
{
    /// <summary>rate ≥ target.</summary>
    AtLeast = 0,

    /// <summary>rate ≤ target.</summary>
    AtMost = 1,

    /// <summary>|rate − target| ≤ tolerance.</summary>
    About = 2,
}

/// <summary>The inputs over which a preference's rate is measured.</summary>
public enum PreferenceDistribution
{
    /// <summary>Every one of the 3^n inputs counts once (uniform over the cube).</summary>
    UniformCube = 0,

    /// <summary>The training data's inputs.</summary>
    TrainingData = 1,

    /// <summary>Independent inputs with given probabilities of -1, 0 and +1 (<see cref="Preference.InputProbabilities"/>).</summary>
    Product = 2,
}

/// <summary>How the trainer enforces a preference.</summary>
public enum EnforcementMethod
{
    /// <summary>
    /// Proxy-Lagrangian (Cotter et al., JMLR 2019): the model descends loss + λ·violation of a smooth surrogate rate;
    /// λ rises with the violation of the true 0/1 rate measured on fresh samples.
    /// </summary>
    ProxyLagrangian = 0,

    /// <summary>loss + μ·max(0, violation of the surrogate rate)² with a fixed μ; simple, no guarantee.</summary>
    Penalty = 1,

    /// <summary>
    /// After training, the smallest shift of the output neuron's bias that makes the rate meet the target: exact
    /// when the certifier can count the cube, otherwise the lower (or upper) confidence bound of a large sample.
    /// </summary>
    Calibration = 2,

    /// <summary>
    /// Exact enforcement for a first-layer neuron: w·x is symmetric about 0 over the cube, so "at least τ of the 3^n
    /// inputs give f(w·x + b) above t" holds exactly when b ≥ f⁻¹(t) − q, q the (1 − τ)-quantile of w·x over the cube.
    /// After every step the neuron's bias is clamped into the range where the preference holds (found by exact counts
    /// of meet in the middle; refreshed every <see cref="TrainerOptions.ProjectionInterval"/> steps and exactly at the end
    /// of every epoch), so every epoch's model meets it. Needs a single first-layer neuron, an interval open on one
    /// side, a monotone activation other than TernaryStep, the cube, and at most 1024 inputs (beyond 32 the counts come
    /// from the sum's histogram; for a target of exactly ½ there is no count: the range is a bound on the bias alone, by
    /// the same symmetry). For the output of a deeper network with odd hidden activations, "at least" a target of at
    /// most ½ is held by symmetry instead
    /// (<see cref="SymmetricProjection"/>): hidden biases kept at 0 and the output bias past a bound.
    /// </summary>
    Projection = 3,
}

/// <summary>The smooth stand-in for the 0/1 indicator "activation in the interval" used in the model step.</summary>
public enum SurrogateKind
{
    /// <summary>sigmoid((a − t) / T) at each finite bound.</summary>
    Sigmoid = 0,

    /// <summary>clamp(1 + (a − t) / T, 0, 1): a ramp of width T ending at the bound.</summary>
    Hinge = 1,
}

/// <summary>An interval of activation values, each bound open or closed.</summary>
/// <param name="Lower">The lower bound; -∞ for none.</param>
/// <param name="Upper">The upper bound; +∞ for none.</param>
/// <param name="LowerInclusive">Whether the lower bound belongs to the interval.</param>
/// <param name="UpperInclusive">Whether the upper bound belongs to the interval.</param>
public sealed record ActivationInterval(double Lower, double Upper, bool LowerInclusive = false, bool UpperInclusive = false)
{
    /// <summary>Activations strictly above <paramref name="threshold"/>.</summary>
    public static ActivationInterval Above(double threshold) => new(threshold, double.PositiveInfinity);

    /// <summary>Activations strictly below <paramref name="threshold"/>.</summary>
    public static ActivationInterval Below(double threshold) => new(double.NegativeInfinity, threshold);

    /// <summary>Activations from <paramref name="lower"/> to <paramref name="upper"/>, both included.</summary>
    public static ActivationInterval Between(double lower, double upper) => new(lower, upper, true, true);

    /// <summary>Whether <paramref name="activation"/> lies in the interval.</summary>
    public bool Contains(float activation) =>
        (LowerInclusive ? activation >= Lower : activation > Lower) && (UpperInclusive ? activation <= Upper : activation < Upper);

    /// <summary>Whether no value at all lies in the interval.</summary>
    public bool IsEmpty => PreferenceRules.IsEmpty(Lower, Upper, LowerInclusive, UpperInclusive);

    /// <summary>
    /// Whether <paramref name="activation"/> produces some value in the interval, in the float arithmetic every engine
    /// shares (tanh reaches ±0.99999994, never ±1; sigmoid reaches 1 but nothing below 2.98e-8).
    /// </summary>
    public bool Overlaps(Activation activation) =>
        PreferenceRules.Reaches(activation.ToString(), Lower, Upper, LowerInclusive, UpperInclusive);

    /// <inheritdoc/>
    public override string ToString() => PreferenceRules.FormatInterval(Lower, Upper, LowerInclusive, UpperInclusive);
}

/// <summary>
/// A requirement on how often a neuron's activation lies in an interval: "the output is above 0.5 on at least 60%
/// of all 3^25 inputs". Declared with <c>[Prefer]</c> or built here; checked by <see cref="Validate"/>.
/// </summary>
public sealed record Preference
{
    /// <summary>The layer of the neuron; negative counts from the end, so -1 (the default) is the output layer.</summary>
    public int Layer { get; init; } = -1;

    /// <summary>The neuron within the layer, or null for every neuron of the layer (their rates are averaged).</summary>
    public int? Neuron { get; init; } = 0;

    /// <summary>The preferred activation values.</summary>
    public required ActivationInterval Interval { get; init; }

    /// <summary>How the rate compares with <see cref="Target"/>.</summary>
    public PreferenceRelation Relation { get; init; } = PreferenceRelation.AtLeast;

    /// <summary>The target fraction, in [0, 1].</summary>
    public required double Target { get; init; }

    /// <summary>For <see cref="PreferenceRelation.About"/>: the allowed distance from the target.</summary>
    public double Tolerance { get; init; } = 0.01;

    /// <summary>The inputs the rate is measured over; the uniform cube by default.</summary>
    public PreferenceDistribution Distribution { get; init; } = PreferenceDistribution.UniformCube;

    /// <summary>
    /// For <see cref="PreferenceDistribution.Product"/>: the probabilities of -1, 0 and +1, either three values for
    /// every input or three per input (3n values), each triple summing to 1.
    /// </summary>
    public double[]? InputProbabilities { get; init; }

    /// <summary>How the trainer enforces the preference.</summary>
    public EnforcementMethod Method { get; init; } = EnforcementMethod.ProxyLagrangian;

    /// <summary>μ of <see cref="EnforcementMethod.Penalty"/>.</summary>
    public double PenaltyWeight { get; init; } = 10;

    /// <summary>The surrogate of the model step.</summary>
    public SurrogateKind Surrogate { get; init; } = SurrogateKind.Sigmoid;

    /// <summary>The surrogate's temperature T (activation units).</summary>
    public double Temperature { get; init; } = 0.25;

    /// <summary>"The output is above <paramref name="threshold"/> on at least <paramref name="fraction"/> of the cube."</summary>
    public static Preference OutputAbove(double threshold, double fraction) =>
        new() { Interval = ActivationInterval.Above(threshold), Target = fraction };

    /// <summary>The lower and upper bounds the rate must respect.</summary>
    public (double Lower, double Upper) Bounds => Relation switch
    {
        PreferenceRelation.AtLeast => (Target, 1),
        PreferenceRelation.AtMost => (0, Target),
        _ => (Math.Max(0, Target - Tolerance), Math.Min(1, Target + Tolerance)),
    };

    /// <summary>Whether <paramref name="rate"/> satisfies the preference.</summary>
    public bool IsMetBy(double rate) => rate >= Bounds.Lower && rate <= Bounds.Upper;

    /// <summary>The signed margin: positive when met, the distance to the nearest bound.</summary>
    public double Slack(double rate) => Math.Min(rate - Bounds.Lower, Bounds.Upper - rate);

    /// <summary>
    /// Throws unless the preference makes sense for a network of <paramref name="shape"/>. The rule is the one the
    /// model-file readers and the source generator apply (PreferenceRules), so a preference this accepts is accepted
    /// everywhere, and one it refuses is refused with the same words.
    /// </summary>
    /// <exception cref="ArgumentException">The message says which property is wrong and how.</exception>
    public void Validate(NetworkShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        PreferenceVerdict verdict = Check(shape);
        if (!verdict.IsValid)
        {
            throw new ArgumentException($"{this}: {verdict.Message}", verdict.Property);
        }
    }

    /// <summary>The shared rule's verdict on this preference for <paramref name="shape"/>.</summary>
    internal PreferenceVerdict Check(NetworkShape shape) => PreferenceRules.Check(ToFacts(), shape.InputCount,
        [.. shape.Layers.Select(l => l.Width)], [.. shape.Layers.Select(l => l.Activation.ToString())]);

    /// <summary>The preference in the primitives the shared rule reads.</summary>
    internal PreferenceFacts ToFacts() => new()
    {
        Layer = Layer,
        Neuron = Neuron,
        Lower = Interval?.Lower ?? double.NaN,
        Upper = Interval?.Upper ?? double.NaN,
        LowerInclusive = Interval?.LowerInclusive ?? false,
        UpperInclusive = Interval?.UpperInclusive ?? false,
        Relation = (int)Relation,
        Target = Target,
        Tolerance = Tolerance,
        Distribution = (int)Distribution,
        InputProbabilities = InputProbabilities,
        Method = (int)Method,
        Temperature = Temperature,
        PenaltyWeight = PenaltyWeight,
    };

    /// <summary>The layer index counted from the start.</summary>
    public int ResolveLayer(NetworkShape shape) => Layer < 0 ? shape.Layers.Length + Layer : Layer;

    /// <summary>The preference in words, the same in every culture (certificates hold this text).</summary>
    public override string ToString()
    {
        string who = Layer == -1 ? (Neuron is int n && n == 0 ? "output" : Neuron is int m ? $"output {m}" : "every output")
            : Neuron is int k ? $"layer {Layer} neuron {k}" : $"every neuron of layer {Layer}";
        string how = Relation switch
        {
            PreferenceRelation.AtLeast => string.Create(CultureInfo.InvariantCulture, $"on at least {Target:P1}"),
            PreferenceRelation.AtMost => string.Create(CultureInfo.InvariantCulture, $"on at most {Target:P1}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"on {Target:P1} ± {Tolerance:P1}"),
        };
        string where = Distribution switch
        {
            PreferenceDistribution.UniformCube => "of the cube",
            PreferenceDistribution.TrainingData => "of the training data",
            _ => "of the product distribution",
        };
        return $"{who} {Interval} {how} {where}";
    }
}

/// <summary>
/// A soft preference: maximise E[r(a)] for a piecewise reward over activation ranges — reward some activation
/// values, penalise others (a negative weight) — added to the task loss with <see cref="Weight"/>.
/// </summary>
public sealed record ActivationReward
{
    /// <summary>The layer (-1 is the output layer).</summary>
    public int Layer { get; init; } = -1;

    /// <summary>The neuron, or null for every neuron of the layer.</summary>
    public int? Neuron { get; init; } = 0;

    /// <summary>The ranges and their rewards (negative for a penalty).</summary>
    public required (ActivationInterval Range, double Reward)[] Ranges { get; init; }

    /// <summary>How much the expected reward counts against the task loss.</summary>
    public double Weight { get; init; } = 1;

    /// <summary>The inputs the expectation is taken over; the uniform cube by default.</summary>
    public PreferenceDistribution Distribution { get; init; } = PreferenceDistribution.UniformCube;

    /// <summary>The surrogate temperature for the range indicators.</summary>
    public double Temperature { get; init; } = 0.05;

    /// <summary>Throws unless the reward makes sense for <paramref name="shape"/>.</summary>
    public void Validate(NetworkShape shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var asPreference = new Preference { Layer = Layer, Neuron = Neuron, Interval = ActivationInterval.Above(double.NegativeInfinity), Target = 0, Temperature = Temperature };
        asPreference.Validate(shape);
        if (Ranges is null || Ranges.Length == 0)
        {
            throw new ArgumentException("A reward needs at least one range.", nameof(Ranges));
        }

        foreach ((ActivationInterval range, double reward) in Ranges)
        {
            if (range.IsEmpty || !double.IsFinite(reward))
            {
                throw new ArgumentException($"The reward range {range} is empty or its reward {reward} is not finite.", nameof(Ranges));
            }
        }

        if (Distribution == PreferenceDistribution.Product)
        {
            throw new ArgumentException("Rewards are taken over the cube or the training data.", nameof(Distribution));
        }
    }
}
