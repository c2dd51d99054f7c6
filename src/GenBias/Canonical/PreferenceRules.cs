// This file is compiled into both the runtime (GenBias) and the source generator (GenBias.Generators, as a linked
// file), so that Preference.Validate, ModelFile.Load and the generator's diagnostics apply one rule with one wording.
// It must stay valid C# for netstandard2.0: no spans, no runtime types, only primitives and strings.
using System.Collections.Generic;
using System.Globalization;

namespace GenBias
{
    /// <summary>What is wrong with a preference (<see cref="PreferenceRules.Check"/>); None when nothing is.</summary>
    internal enum PreferenceProblem
    {
        None,
        Target,
        Tolerance,
        Layer,
        Neuron,
        EmptyInterval,
        OutsideRange,
        UndefinedValue,
        Settings,
        Probabilities,
        Projection,
        Calibration,
    }

    /// <summary>A preference in primitives, as both the runtime and the generator hold it.</summary>
    internal sealed class PreferenceFacts
    {
        /// <summary>The layer; negative counts from the end.</summary>
        public int Layer { get; set; } = -1;

        /// <summary>The neuron, or null for every neuron of the layer.</summary>
        public int? Neuron { get; set; }

        public double Lower { get; set; } = double.NegativeInfinity;

        public double Upper { get; set; } = double.PositiveInfinity;

        public bool LowerInclusive { get; set; }

        public bool UpperInclusive { get; set; }

        /// <summary>The value of GenBias.PreferenceRelation (an index into <see cref="PreferenceRules.RelationNames"/>).</summary>
        public int Relation { get; set; }

        public double Target { get; set; }

        public double Tolerance { get; set; }

        /// <summary>The value of GenBias.PreferenceDistribution.</summary>
        public int Distribution { get; set; }

        public IReadOnlyList<double>? InputProbabilities { get; set; }

        /// <summary>The value of GenBias.EnforcementMethod.</summary>
        public int Method { get; set; }

        public double Temperature { get; set; } = 0.25;

        public double PenaltyWeight { get; set; } = 10;
    }

    /// <summary>The verdict of <see cref="PreferenceRules.Check"/>: the problem, what is wrong in words, and the property at fault.</summary>
    internal readonly struct PreferenceVerdict
    {
        public PreferenceVerdict(PreferenceProblem problem, string message, string property)
        {
            Problem = problem;
            Message = message;
            Property = property;
        }

        public PreferenceProblem Problem { get; }

        public string Message { get; }

        public string Property { get; }

        public bool IsValid => Problem == PreferenceProblem.None;
    }

    /// <summary>
    /// When a preference makes sense for a network: one rule, shared by <c>Preference.Validate</c>, the model-file
    /// reader of the runtime and of the generator, and the generator's <c>[Prefer]</c> diagnostics.
    /// </summary>
    internal static class PreferenceRules
    {
        /// <summary>The members of GenBias.Activation by value (a runtime test checks them against the enum).</summary>
        public static readonly string[] ActivationNames = { "Tanh", "HardTanh", "Sigmoid", "ReLU", "Linear", "TernaryStep" };

        /// <summary>The members of GenBias.PreferenceRelation by value.</summary>
        public static readonly string[] RelationNames = { "AtLeast", "AtMost", "About" };

        /// <summary>The members of GenBias.PreferenceDistribution by value.</summary>
        public static readonly string[] DistributionNames = { "UniformCube", "TrainingData", "Product" };

        /// <summary>The members of GenBias.EnforcementMethod by value.</summary>
        public static readonly string[] MethodNames = { "ProxyLagrangian", "Penalty", "Calibration", "Projection" };

        /// <summary>
        /// The most inputs a projected preference may have: every width a network may have (the sum's distribution over
        /// the cube is counted exactly up to 39 inputs and as a certified interval beyond; its memory is checked when
        /// counted).
        /// </summary>
        public const int MaxProjectionInputs = ShapeRules.MaxInputs;

        /// <summary>
        /// The largest value the canonical tanh gives for any float (from x = 8.317766 on; a runtime test scans every
        /// float from 4 to 9); by symmetry its negation is the smallest. Tanh never reaches ±1.
        /// </summary>
        public const float TanhLargest = 0.99999994f;

        /// <summary>The smallest value the canonical sigmoid (tanh(x/2)/2 + 1/2) gives; its largest is exactly 1.</summary>
        public const float SigmoidSmallest = 0.5f - (0.5f * TanhLargest);

        /// <summary>
        /// The smallest and largest values an activation produces in float arithmetic, both reached, and its range as
        /// it is usually written.
        /// </summary>
        public static bool TryRange(string activation, out double min, out double max, out string nominal)
        {
            switch (activation)
            {
                case "Tanh": min = -TanhLargest; max = TanhLargest; nominal = "(-1, 1)"; return true;
                case "HardTanh": min = -1; max = 1; nominal = "[-1, 1]"; return true;
                case "Sigmoid": min = SigmoidSmallest; max = 1; nominal = "(0, 1)"; return true;
                case "ReLU": min = 0; max = double.PositiveInfinity; nominal = "[0, ∞)"; return true;
                case "Linear": min = double.NegativeInfinity; max = double.PositiveInfinity; nominal = "(-∞, ∞)"; return true;
                case "TernaryStep": min = -1; max = 1; nominal = "{-1, 0, 1}"; return true;
                default: min = max = 0; nominal = ""; return false;
            }
        }

        /// <summary>Whether no value lies in the interval.</summary>
        public static bool IsEmpty(double lower, double upper, bool lowerInclusive, bool upperInclusive) =>
            double.IsNaN(lower) || double.IsNaN(upper) || lower > upper || (lower == upper && !(lowerInclusive && upperInclusive));

        /// <summary>Whether <paramref name="value"/> lies in the interval.</summary>
        public static bool Contains(double lower, double upper, bool lowerInclusive, bool upperInclusive, double value) =>
            (lowerInclusive ? value >= lower : value > lower) && (upperInclusive ? value <= upper : value < upper);

        /// <summary>Whether the activation produces some value in the (non-empty) interval.</summary>
        public static bool Reaches(string activation, double lower, double upper, bool lowerInclusive, bool upperInclusive)
        {
            if (IsEmpty(lower, upper, lowerInclusive, upperInclusive) || !TryRange(activation, out double min, out double max, out _))
            {
                return false;
            }

            if (activation == "TernaryStep")
            {
                return Contains(lower, upper, lowerInclusive, upperInclusive, -1) || Contains(lower, upper, lowerInclusive, upperInclusive, 0) ||
                       Contains(lower, upper, lowerInclusive, upperInclusive, 1);
            }

            // Both ends are reached and every value between them is close to one produced (the functions are continuous).
            bool belowMax = lowerInclusive ? lower <= max : lower < max;
            bool aboveMin = upperInclusive ? upper >= min : upper > min;
            return belowMax && aboveMin;
        }

        /// <summary>The interval as <c>ActivationInterval.ToString</c> writes it: "&gt; 0.5", "≤ 0", "in [0.2, 0.4)".</summary>
        public static string FormatInterval(double lower, double upper, bool lowerInclusive, bool upperInclusive) =>
            double.IsPositiveInfinity(upper) ? $"{(lowerInclusive ? "≥" : ">")} {Format(lower)}"
            : double.IsNegativeInfinity(lower) ? $"{(upperInclusive ? "≤" : "<")} {Format(upper)}"
            : $"in {(lowerInclusive ? "[" : "(")}{Format(lower)}, {Format(upper)}{(upperInclusive ? "]" : ")")}";

        /// <summary>
        /// The range to name when an interval is out of reach: the usual one, or the float extremes when the interval
        /// lies inside the usual range but beyond what float arithmetic produces (tanh above 0.99999994).
        /// </summary>
        public static string DescribeRange(string activation, double lower, double upper, bool lowerInclusive, bool upperInclusive)
        {
            TryRange(activation, out double min, out double max, out string nominal);
            bool insideNominal = activation switch
            {
                "Tanh" => lower < 1 && upper > -1,
                "Sigmoid" => lower < 1 && upper > 0,
                _ => false,
            };
            return insideNominal
                ? $"[{Format(min)}, {Format(max)}] (the extremes float arithmetic gives; {nominal} in exact arithmetic)"
                : nominal;
        }

        /// <summary>
        /// Checks a preference against a network of <paramref name="inputs"/> inputs and the given layers. The first
        /// problem found is returned with a message (no leading subject: callers put the preference or its place first).
        /// </summary>
        public static PreferenceVerdict Check(PreferenceFacts p, int inputs, IReadOnlyList<int> widths, IReadOnlyList<string> activations)
        {
            if (p.Relation < 0 || p.Relation >= RelationNames.Length)
            {
                return Problem(PreferenceProblem.UndefinedValue, "Relation", $"the relation {p.Relation} is not one of {string.Join(", ", RelationNames)}.");
            }

            if (p.Distribution < 0 || p.Distribution >= DistributionNames.Length)
            {
                return Problem(PreferenceProblem.UndefinedValue, "Distribution", $"the distribution {p.Distribution} is not one of {string.Join(", ", DistributionNames)}.");
            }

            if (p.Method < 0 || p.Method >= MethodNames.Length)
            {
                return Problem(PreferenceProblem.UndefinedValue, "Method", $"the method {p.Method} is not one of {string.Join(", ", MethodNames)}.");
            }

            if (!(p.Target >= 0 && p.Target <= 1))
            {
                return Problem(PreferenceProblem.Target, "Target", $"the target fraction {Format(p.Target)} is outside [0, 1].");
            }

            if (p.Relation == 2 && !(p.Tolerance >= 0 && p.Tolerance <= 1))
            {
                return Problem(PreferenceProblem.Tolerance, "Tolerance", $"the tolerance {Format(p.Tolerance)} is outside [0, 1].");
            }

            int layers = widths.Count;
            int layerIndex = p.Layer < 0 ? layers + p.Layer : p.Layer;
            if (layerIndex < 0 || layerIndex >= layers)
            {
                return Problem(PreferenceProblem.Layer, "Layer",
                    $"layer {p.Layer} does not exist; the network has {layers} layers (0..{layers - 1}, or -1 for the output).");
            }

            int width = widths[layerIndex];
            if (p.Neuron is int neuron && (neuron < 0 || neuron >= width))
            {
                return Problem(PreferenceProblem.Neuron, "Neuron", $"neuron {neuron} does not exist; layer {layerIndex} has {width} neurons.");
            }

            string interval = FormatInterval(p.Lower, p.Upper, p.LowerInclusive, p.UpperInclusive);
            if (IsEmpty(p.Lower, p.Upper, p.LowerInclusive, p.UpperInclusive))
            {
                return Problem(PreferenceProblem.EmptyInterval, "Interval", $"the interval {interval} is empty.");
            }

            string activation = activations[layerIndex];
            if (!Reaches(activation, p.Lower, p.Upper, p.LowerInclusive, p.UpperInclusive))
            {
                return Problem(PreferenceProblem.OutsideRange, "Interval",
                    $"the interval {interval} lies outside the range {DescribeRange(activation, p.Lower, p.Upper, p.LowerInclusive, p.UpperInclusive)} of {activation}, so no input can meet it.");
            }

            if (!(p.Temperature > 0) || !(p.PenaltyWeight >= 0))
            {
                return Problem(PreferenceProblem.Settings, "Temperature", "the temperature must be positive and the penalty weight non-negative.");
            }

            if (p.Distribution == 2)
            {
                IReadOnlyList<double>? probabilities = p.InputProbabilities;
                if (probabilities == null)
                {
                    return Problem(PreferenceProblem.Probabilities, "InputProbabilities", "a product distribution needs InputProbabilities.");
                }

                if (probabilities.Count != 3 && probabilities.Count != 3 * inputs)
                {
                    return Problem(PreferenceProblem.Probabilities, "InputProbabilities",
                        $"InputProbabilities has {probabilities.Count} values; give 3 (for every input) or {3 * inputs} (3 per input).");
                }

                for (int i = 0; i < probabilities.Count; i += 3)
                {
                    double a = probabilities[i], b = probabilities[i + 1], c = probabilities[i + 2];
                    if (!(a >= 0 && b >= 0 && c >= 0) || !(System.Math.Abs(a + b + c - 1) <= 1e-9))
                    {
                        return Problem(PreferenceProblem.Probabilities, "InputProbabilities",
                            $"InputProbabilities[{i}..{i + 2}] ({Format(a)}, {Format(b)}, {Format(c)}) must be non-negative and sum to 1.");
                    }
                }
            }

            bool oneSided = double.IsInfinity(p.Lower) || double.IsInfinity(p.Upper);
            bool firstLayerProjection = layerIndex == 0 && (p.Neuron != null || width == 1) && inputs <= MaxProjectionInputs;
            if (p.Method == 3 && (!(firstLayerProjection || IsSymmetricProjection(p, layerIndex, widths, activations)) || !oneSided ||
                                  activation == "TernaryStep" || p.Distribution != 0))
            {
                return Problem(PreferenceProblem.Projection, "Method",
                    "projection clamps a first-layer neuron's bias, so it needs a single neuron of layer 0, an interval open on one side (above or below a value), " +
                    $"a monotone activation other than TernaryStep, the cube, and at most {MaxProjectionInputs} inputs; or, for the output neuron of a deeper " +
                    "network (hidden biases kept at zero), the same but odd hidden activations (Tanh, HardTanh, Linear, TernaryStep) and \"at least\" a target of at most 0.5.");
            }

            if (p.Method == 2 && (layerIndex != layers - 1 || p.Neuron == null || width != 1 || !oneSided ||
                                  activation == "TernaryStep" || p.Distribution == 1))
            {
                return Problem(PreferenceProblem.Calibration, "Method",
                    "calibration shifts the output bias, so it needs the single output neuron, an interval open on one side (above or below a value), " +
                    "a monotone activation other than TernaryStep, and the cube or a product distribution.");
            }

            return new PreferenceVerdict(PreferenceProblem.None, "", "");
        }

        /// <summary>
        /// Whether projection can hold a preference by symmetry: the single output neuron of a network with hidden layers
        /// whose activations are odd (f(−x) = −f(x), so with zero hidden biases the output's pre-activation less its bias
        /// is odd in the input), "at least" a target of at most half the cube.
        /// </summary>
        public static bool IsSymmetricProjection(PreferenceFacts p, int layerIndex, IReadOnlyList<int> widths, IReadOnlyList<string> activations)
        {
            if (layerIndex != widths.Count - 1 || widths.Count < 2 || widths[layerIndex] != 1 || p.Relation != 0 || !(p.Target <= 0.5))
            {
                return false;
            }

            for (int l = 0; l < layerIndex; l++)
            {
                if (!IsOdd(activations[l]))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Whether an activation is odd as computed (f(−x) = −f(x) for every float).</summary>
        public static bool IsOdd(string activation) => activation == "Tanh" || activation == "HardTanh" || activation == "Linear" || activation == "TernaryStep";

        /// <summary>A number as the messages write it (invariant, shortest round trip).</summary>
        public static string Format(double value) =>
            double.IsPositiveInfinity(value) ? "∞" : double.IsNegativeInfinity(value) ? "-∞" : value.ToString("R", CultureInfo.InvariantCulture);

        private static PreferenceVerdict Problem(PreferenceProblem problem, string property, string message) =>
            new PreferenceVerdict(problem, message, property);
    }
}
