using System;
using System.Linq;
using System.Threading;

namespace GenBias;

/// <summary>
/// The bias-penalty trainer: minibatch training of a ternary network on a binary task, plus preferences on any
/// neuron's activation rate over the cube, a product distribution or the data, each enforced by a fixed penalty,
/// the proxy-Lagrangian method, or calibration of the output bias.
/// </summary>
/// <remarks>
/// A step's passes run on <see cref="TrainerOptions.Threads"/> threads, with every gradient summed in row order, so the
/// result depends only on the seed, the data and the options (the thread count is not among them: it never changes a bit). Cube rates are estimated from fresh uniform samples at every step, not from the data.
/// The first layer is kept on <see cref="FixedPointGrid"/> after every step so that the certifier can count exactly.
/// The model returned is one deterministic network: the epoch with the best validation loss among those whose
/// estimated rates meet every preference (the last epoch if none does), never a randomised mixture.
/// </remarks>
public static partial class PreferenceTrainer
{
    /// <summary>Trains <paramref name="network"/> on <paramref name="data"/>; its parameters are replaced by the result.</summary>
    /// <exception cref="ArgumentException">Mismatched widths, a network with more than one output, or an invalid preference.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the network keeps the parameters of the last completed step.</exception>
    public static TrainingReport Train(ITernaryNetwork network, TernaryDataset data, TrainerOptions options,
        IProgress<EpochReport>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        NetworkShape shape = network.Shape;
        if (data.InputCount != shape.InputCount)
        {
            throw new ArgumentException($"The data has {data.InputCount} inputs per row; the network {shape} takes {shape.InputCount}.", nameof(data));
        }

        if (shape.OutputCount != 1)
        {
            throw new ArgumentException($"Binary classification needs one output; {shape} has {shape.OutputCount}.", nameof(network));
        }

        foreach (Preference preference in options.Preferences)
        {
            preference.Validate(shape);
        }

        Activation outputActivation = shape.OutputLayer.Activation;
        float threshold = options.DecisionThreshold ?? DefaultDecisionThreshold(outputActivation);
        (float low, float high) = ActivationMath.Range(outputActivation);
        if (!float.IsFinite(threshold) || (outputActivation is not (Activation.Linear or Activation.ReLU) && !(threshold > low && threshold < high)))
        {
            throw new ArgumentException(
                $"DecisionThreshold {threshold} must lie strictly inside the output's range [{low}, {high}] ({outputActivation}): the loss is centred on it.", nameof(options));
        }

        foreach (ActivationReward reward in options.Rewards)
        {
            reward.Validate(shape);
        }

        TrainingProfile.Mark();
        var run = new Run(network, data, options);
        TrainingProfile.Lap(TrainingProfile.Phase.Setup);
        TrainingReport report = run.Execute(progress, cancellationToken);
        if (options.ThrowIfNotMet && !report.AllMet)
        {
            throw new PreferencesNotMetException(report);
        }

        return report;
    }

    /// <summary>The decision threshold used when <see cref="TrainerOptions.DecisionThreshold"/> is null.</summary>
    public static float DefaultDecisionThreshold(Activation output) =>
        output is Activation.Sigmoid or Activation.ReLU ? 0.5f : 0f;

    /// <summary>
    /// The task loss and its derivative with respect to the output, for one row; every loss is centred on the decision
    /// <paramref name="threshold"/>, so that the model is trained for the boundary it is scored at.
    /// </summary>
    /// <remarks>
    /// Logistic: the output is mapped to a probability p that is ½ exactly at the threshold — for outputs in [−1, 1]
    /// (tanh, hard tanh, ternary step) or [0, 1] (sigmoid), linearly on each side of it (with the default thresholds 0
    /// and ½ this is p = (y + 1)/2 and p = y); for unbounded outputs p = σ(y − threshold). Squared: the targets lie
    /// symmetrically about the threshold, as far as the output's range allows (±1 about 0; 1 and 0 about ½). Hinge:
    /// the margin is measured from the threshold.
    /// </remarks>
    public static (double Loss, float Gradient) Loss(LossKind kind, Activation output, float y, int label, float threshold)
    {
        (double low, double high) = output switch
        {
            Activation.Tanh or Activation.HardTanh or Activation.TernaryStep => (-1.0, 1.0),
            Activation.Sigmoid => (0.0, 1.0),
            _ => (double.NegativeInfinity, double.PositiveInfinity),
        };
        switch (kind)
        {
            case LossKind.Logistic:
            {
                double p, slope;
                if (double.IsInfinity(low))
                {
                    // Unbounded outputs are logits about the threshold.
                    p = 1 / (1 + Math.Exp(-(y - threshold)));
                    double pc = Math.Clamp(p, 1e-12, 1 - 1e-12);
                    return (-Math.Log(label == 1 ? pc : 1 - pc), (float)(p - label));
                }

                // Piecewise linear, ½ at the threshold: [low, t] → [0, ½], [t, high] → [½, 1].
                (p, slope) = y <= threshold
                    ? (0.5 * (y - low) / (threshold - low), 0.5 / (threshold - low))
                    : (0.5 + (0.5 * (y - threshold) / (high - threshold)), 0.5 / (high - threshold));
                p = Math.Clamp(p, 1e-7, 1 - 1e-7);
                return (-Math.Log(label == 1 ? p : 1 - p), (float)(slope * (p - label) / (p * (1 - p))));
            }

            case LossKind.Squared:
            {
                // Targets about the threshold: as far on each side as the range allows (unbounded: 1).
                double reach = Math.Min(Math.Min(high - threshold, threshold - low), 1.0);
                if (output is Activation.Sigmoid or Activation.ReLU)
                {
                    reach = output is Activation.ReLU ? Math.Min(0.5, Math.Max(threshold, 0)) : Math.Min(high - threshold, threshold - low);
                }

                float t = (float)(label == 1 ? threshold + reach : threshold - reach);
                return ((y - t) * (double)(y - t), 2 * (y - t));
            }

            default:
            {
                float t = label == 1 ? 1f : -1f;
                double margin = t * (y - threshold);
                return margin < 1 ? (1 - margin, -t) : (0, 0f);
            }
        }
    }
}
