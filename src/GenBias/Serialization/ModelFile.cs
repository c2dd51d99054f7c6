using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using GenBias.Serialization;

namespace GenBias;

/// <summary>A model read from a file: its shape, parameters, preferences and training metadata.</summary>
public sealed record LoadedModel(NetworkShape Shape, float[] Parameters, IReadOnlyList<Preference> Preferences, TrainingDocument? Training)
{
    /// <summary>
    /// The activation math the file was written under (<see cref="ActivationMath.Version"/> for a file this version
    /// writes; 1 for a formatVersion 1 file). The parameters are the file's either way; a network of them is
    /// evaluated under today's math, so a version-1 model's outputs differ from what they were when written by at
    /// most <see cref="ModelFile.Version1OutputChange"/> per tanh or sigmoid (compounded through later layers by their
    /// weights), and its certificates must be made again.
    /// </summary>
    public int ActivationMathVersion { get; init; } = ActivationMath.Version;

    /// <summary>Whether the file was written under an older activation math than this library evaluates.</summary>
    public bool WrittenUnderOlderMath => ActivationMathVersion != ActivationMath.Version;
}

/// <summary>
/// Saves and loads models as JSON (schema in README.md, "Model files"). Saving is atomic: the file is written
/// beside the target and renamed over it, so a reader never sees half a file. Loading checks everything and says
/// what is wrong: another format version, a truncated or hand-edited file, a shape that does not match, a
/// parameter that is not finite.
/// </summary>
public static class ModelFile
{
    /// <summary>
    /// The format version this library writes: 2, networks evaluated under activation math version 2. Version 1 files
    /// (activation math version 1, the same fields) are read too; <see cref="LoadedModel.ActivationMathVersion"/> says
    /// which a file was.
    /// </summary>
    public const int FormatVersion = ModelFileParser.FormatVersion;

    /// <summary>
    /// The most one tanh output of a version-1 model moves under version 2: version 1's error (3.2e-7) plus version 2's
    /// (<see cref="ActivationMath.TanhError"/>), both measured against tanh on every float; half that for sigmoid.
    /// </summary>
    public const double Version1OutputChange = 3.2e-7 + ActivationMath.TanhError;

    /// <summary>
    /// Writes the network's shape and parameters, with optional preferences and training metadata. Everything is
    /// checked before the file is touched — every preference against the network's shape, with the rule
    /// <see cref="Load"/> applies, and the bytes read back with <see cref="Read"/> — so a file that would not load is
    /// never written, and an existing file stays as it was.
    /// </summary>
    /// <exception cref="ArgumentException">A preference is invalid for the network (the message names which and why), or the training metadata cannot be written.</exception>
    /// <exception cref="IOException">The path is a folder, or a folder on the way to it is a file.</exception>
    public static void Save(string path, ITernaryNetwork network, IReadOnlyList<Preference>? preferences = null, TrainingDocument? training = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = ToJson(network, preferences, training);
        try
        {
            Read(bytes, path);
        }
        catch (InvalidDataException e)
        {
            throw new ArgumentException($"{path} was not written: the model would not load back ({e.Message}).", nameof(network), e);
        }

        AtomicFile.Write(path, bytes);
    }

    /// <summary>The bytes <see cref="Save"/> writes (UTF-8 JSON), to send a model somewhere other than a file.</summary>
    /// <exception cref="ArgumentException">A preference is invalid for the network, or a training accuracy is not finite.</exception>
    public static byte[] ToJson(ITernaryNetwork network, IReadOnlyList<Preference>? preferences = null, TrainingDocument? training = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        NetworkShape shape = network.Shape;
        for (int i = 0; i < (preferences?.Count ?? 0); i++)
        {
            Preference preference = preferences![i] ?? throw new ArgumentException($"preferences[{i}] is null.", nameof(preferences));
            PreferenceVerdict verdict = preference.Check(shape);
            if (!verdict.IsValid)
            {
                throw new ArgumentException($"preferences[{i}] ({preference}) is invalid for {shape}: {verdict.Message}", nameof(preferences));
            }
        }

        if (training is not null && (!double.IsFinite(training.TrainAccuracy) || training.ValidationAccuracy is double va && double.IsInfinity(va)))
        {
            throw new ArgumentException($"The training accuracies ({training.TrainAccuracy}, {training.ValidationAccuracy}) must be finite (a NaN validation accuracy is written as none).", nameof(training));
        }

        var document = new ModelDocument
        {
            FormatVersion = FormatVersion,
            Shape = new ShapeDocument
            {
                Inputs = shape.InputCount,
                Layers = [.. shape.Layers.Select(l => new LayerDocument { Width = l.Width, Activation = l.Activation.ToString() })],
            },
            Parameters = network.Parameters.ToArray(),
            Preferences = preferences?.Select(ToDocument).ToList(),
            // A copy: JSON has no NaN (no validation split), and the caller's object stays as it was.
            Training = training is null ? null : new TrainingDocument
            {
                Seed = training.Seed,
                Epochs = training.Epochs,
                SelectedEpoch = training.SelectedEpoch,
                TrainAccuracy = training.TrainAccuracy,
                ValidationAccuracy = training.ValidationAccuracy is double v && double.IsNaN(v) ? null : training.ValidationAccuracy,
                Settings = training.Settings,
            },
        };

        return JsonSerializer.SerializeToUtf8Bytes(document, ModelJsonContext.Default.ModelDocument);
    }

    /// <summary>Reads a model file.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid model file; the message says why and where.</exception>
    public static LoadedModel Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            throw new InvalidDataException($"{path} is a directory, not a model file.");
        }

        return Read(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads a model from the bytes of a model file (as <see cref="ToJson"/> writes them).</summary>
    /// <param name="json">The UTF-8 JSON, with or without a byte order mark.</param>
    /// <param name="source">Where the bytes came from, for error messages.</param>
    /// <exception cref="InvalidDataException">The bytes are not a valid model; the message says why and where (line and position).</exception>
    /// <remarks>
    /// The rules are the ones the source generator applies to <c>[TernaryNetwork(Model = "…")]</c> (the two share the
    /// reader, ModelFileParser): well-formed JSON without duplicate property names, no unknown property at any level,
    /// exact enum names, finite parameters of the shape's count, every preference valid for the shape.
    /// </remarks>
    public static LoadedModel Read(byte[] json, string source = "model")
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(source);
        ReadOnlySpan<byte> bytes = json;
        if (bytes.StartsWith(Utf8ByteOrderMark))
        {
            bytes = bytes[Utf8ByteOrderMark.Length..];
        }

        CheckParameterCountFirst(bytes, source);
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new InvalidDataException($"{source}: not a readable GenBias model file: the bytes are not valid UTF-8 ({e.Message}).", e);
        }

        ModelFileContent content = ModelFileParser.Parse(text, out ModelFileProblem? problem)
            ?? throw new InvalidDataException(problem!.IsSyntax
                ? $"{source}: not a readable GenBias model file (truncated or edited?): {problem}."
                : $"{source}: {problem}.");

        NetworkShape shape;
        try
        {
            shape = NetworkShape.Create(content.Inputs, [.. content.Layers.Select(l => (l.Width, Enum.Parse<Activation>(l.Activation)))]);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: the shape is invalid: {e.Message}", e);
        }

        var preferences = new List<Preference>(content.Preferences.Count);
        foreach (PreferenceFacts facts in content.Preferences)
        {
            // The parser has applied PreferenceRules already; Validate applies the same rule to the runtime object.
            Preference preference = FromFacts(facts);
            preference.Validate(shape);
            preferences.Add(preference);
        }

        TrainingDocument? training = content.Training is not { } t ? null : new TrainingDocument
        {
            Seed = t.Seed,
            Epochs = t.Epochs,
            SelectedEpoch = t.SelectedEpoch,
            TrainAccuracy = t.TrainAccuracy,
            ValidationAccuracy = t.ValidationAccuracy,
            Settings = t.Settings,
        };
        return new LoadedModel(shape, content.Parameters, preferences, training) { ActivationMathVersion = content.FormatVersion };
    }

    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads a model file into <paramref name="network"/>, which must have the file's shape.</summary>
    /// <exception cref="InvalidDataException">The file is invalid or was saved from another shape.</exception>
    public static LoadedModel LoadInto(string path, ITernaryNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        LoadedModel model = Load(path);
        if (!model.Shape.Equals(network.Shape))
        {
            throw new InvalidDataException($"{path}: the file holds a {model.Shape} network; this network is {network.Shape}.");
        }

        network.SetParameters(model.Parameters);
        return model;
    }

    private static PreferenceDocument ToDocument(Preference p) => new()
    {
        Layer = p.Layer,
        Neuron = p.Neuron,
        AllNeurons = p.Neuron is null,
        Lower = double.IsNegativeInfinity(p.Interval.Lower) ? null : p.Interval.Lower,
        Upper = double.IsPositiveInfinity(p.Interval.Upper) ? null : p.Interval.Upper,
        LowerInclusive = p.Interval.LowerInclusive,
        UpperInclusive = p.Interval.UpperInclusive,
        Relation = p.Relation.ToString(),
        Target = p.Target,
        Tolerance = p.Tolerance,
        Distribution = p.Distribution.ToString(),
        InputProbabilities = p.InputProbabilities,
        Method = p.Method.ToString(),
    };

    private static Preference FromFacts(PreferenceFacts f) => new()
    {
        Layer = f.Layer,
        Neuron = f.Neuron,
        Interval = new ActivationInterval(f.Lower, f.Upper, f.LowerInclusive, f.UpperInclusive),
        Relation = (PreferenceRelation)f.Relation,
        Target = f.Target,
        Tolerance = f.Tolerance,
        Distribution = (PreferenceDistribution)f.Distribution,
        InputProbabilities = f.InputProbabilities is null ? null : [.. f.InputProbabilities],
        Method = (EnforcementMethod)f.Method,
    };

    /// <summary>
    /// Before anything is deserialised: the number of values in "parameters" against the parameter count of "shape",
    /// by streaming over the bytes, so that an oversized or mismatched file is refused without materialising it.
    /// </summary>
    private static void CheckParameterCountFirst(ReadOnlySpan<byte> bytes, string path)
    {
        ShapeDocument? shape = null;
        long parameters = -1;
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return; // the full parse reports what is wrong
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("shape"u8))
                {
                    reader.Read();
                    shape = JsonSerializer.Deserialize(ref reader, ModelJsonContext.Default.ShapeDocument);
                }
                else if (reader.ValueTextEquals("parameters"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        reader.Skip();
                        continue;
                    }

                    parameters = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        parameters++;
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return; // malformed: the full parse says where
        }

        if (shape is null || parameters < 0 || shape.Layers is not { Count: > 0 } layers ||
            shape.Inputs is < 1 or > ShapeRules.MaxInputs || layers.Any(l => l.Width is < 1 or > ShapeRules.MaxWidth ||
            Array.IndexOf(PreferenceRules.ActivationNames, l.Activation) < 0))
        {
            return; // the full parse reports an invalid shape
        }

        NetworkShape parsed;
        try
        {
            parsed = NetworkShape.Create(shape.Inputs, [.. layers.Select(l => (l.Width, (Activation)Array.IndexOf(PreferenceRules.ActivationNames, l.Activation)))]);
        }
        catch (ArgumentException)
        {
            return; // the full parse reports an invalid shape
        }

        if (parameters != parsed.ParameterCount)
        {
            throw new InvalidDataException($"{path}: {parameters} parameters, but the shape {parsed} has {parsed.ParameterCount}.");
        }
    }
}
