using System.Collections.Generic;
using System.Text.Json.Serialization;

namespace GenBias.Serialization;

// The JSON schema of a model file (documented in README.md). Plain mutable classes: they are only the wire format;
// ModelFile checks every field and converts to the runtime types.

internal sealed class ModelDocument
{
    public int FormatVersion { get; set; }

    public ShapeDocument? Shape { get; set; }

    public float[]? Parameters { get; set; }

    public List<PreferenceDocument>? Preferences { get; set; }

    public TrainingDocument? Training { get; set; }
}

internal sealed class ShapeDocument
{
    public int Inputs { get; set; }

    public List<LayerDocument>? Layers { get; set; }
}

internal sealed class LayerDocument
{
    public int Width { get; set; }

    public string? Activation { get; set; }
}

internal sealed class PreferenceDocument
{
    public int Layer { get; set; } = -1;

    public int? Neuron { get; set; }

    public bool AllNeurons { get; set; }

    /// <summary>Null for -∞.</summary>
    public double? Lower { get; set; }

    /// <summary>Null for +∞.</summary>
    public double? Upper { get; set; }

    public bool LowerInclusive { get; set; }

    public bool UpperInclusive { get; set; }

    public string? Relation { get; set; }

    public double Target { get; set; }

    public double Tolerance { get; set; }

    public string? Distribution { get; set; }

    public double[]? InputProbabilities { get; set; }

    public string? Method { get; set; }
}

/// <summary>What produced the parameters; informational, never needed to run the model.</summary>
public sealed class TrainingDocument
{
    /// <summary>The trainer's seed.</summary>
    public ulong Seed { get; set; }

    /// <summary>Epochs run.</summary>
    public int Epochs { get; set; }

    /// <summary>The epoch whose parameters were kept.</summary>
    public int SelectedEpoch { get; set; }

    /// <summary>Accuracy on the training rows.</summary>
    public double TrainAccuracy { get; set; }

    /// <summary>Accuracy on the validation rows (NaN is written as null).</summary>
    public double? ValidationAccuracy { get; set; }

    /// <summary>The optimiser, loss, learning rate and batch size, as text.</summary>
    public string? Settings { get; set; }
}

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(ModelDocument))]
[JsonSerializable(typeof(ShapeDocument))]
internal sealed partial class ModelJsonContext : JsonSerializerContext;
