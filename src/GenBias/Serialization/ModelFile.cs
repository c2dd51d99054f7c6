using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using GenBias.Serialization;

namespace GenBias;

/// <summary>A model read from a file: its shape, parameters, preferences and training metadata.</summary>
public sealed record LoadedModel(NetworkShape Shape, float[] Parameters, IReadOnlyList<Preference> Preferences, TrainingDocument? Training);

/// <summary>
/// Saves and loads models as JSON (schema in README.md, "Model files"). Saving is atomic: the file is written
/// beside the target and renamed over it, so a reader never sees half a file. Loading checks everything and says
/// what is wrong: another format version, a truncated or hand-edited file, a shape that does not match, a
/// parameter that is not finite.
/// </summary>
public static class ModelFile
{
    /// <summary>The format version this library writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>Writes the network's shape and parameters, with optional preferences and training metadata.</summary>
    public static void Save(string path, ITernaryNetwork network, IReadOnlyList<Preference>? preferences = null, TrainingDocument? training = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        AtomicFile.Write(path, ToJson(network, preferences, training));
    }

    /// <summary>The bytes <see cref="Save"/> writes (UTF-8 JSON), to send a model somewhere other than a file.</summary>
    public static byte[] ToJson(ITernaryNetwork network, IReadOnlyList<Preference>? preferences = null, TrainingDocument? training = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        NetworkShape shape = network.Shape;
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
    /// <param name="json">The UTF-8 JSON.</param>
    /// <param name="source">Where the bytes came from, for error messages.</param>
    /// <exception cref="InvalidDataException">The bytes are not a valid model; the message says why.</exception>
    public static LoadedModel Read(byte[] json, string source = "model")
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(source);
        byte[] bytes = json;
        string path = source;
        CheckParameterCountFirst(bytes, path);
        ModelDocument document;
        try
        {
            document = JsonSerializer.Deserialize(bytes, ModelJsonContext.Default.ModelDocument)
                ?? throw new InvalidDataException($"{path}: the file holds null, not a model.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"{path}: not a readable GenBias model file (truncated or edited?): {e.Message}", e);
        }

        if (document.FormatVersion != FormatVersion)
        {
            throw new InvalidDataException(document.FormatVersion > FormatVersion
                ? $"{path}: format version {document.FormatVersion} was written by a newer GenBias; this one reads version {FormatVersion}."
                : $"{path}: format version {document.FormatVersion} is not supported (expected {FormatVersion}; 0 means the field is missing).");
        }

        ShapeDocument shapeDocument = document.Shape ?? throw new InvalidDataException($"{path}: the 'shape' is missing.");
        if (shapeDocument.Layers is not { Count: > 0 } layers)
        {
            throw new InvalidDataException($"{path}: the shape has no layers.");
        }

        NetworkShape shape;
        try
        {
            shape = NetworkShape.Create(shapeDocument.Inputs, [.. layers.Select((l, i) => (l.Width, ParseEnum<Activation>(l.Activation, $"shape.layers[{i}].activation", path)))]);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: the shape is invalid: {e.Message}", e);
        }

        float[] parameters = document.Parameters ?? throw new InvalidDataException($"{path}: the 'parameters' are missing.");
        if (parameters.Length != shape.ParameterCount)
        {
            throw new InvalidDataException($"{path}: {parameters.Length} parameters, but the shape {shape} has {shape.ParameterCount}.");
        }

        for (int p = 0; p < parameters.Length; p++)
        {
            if (!float.IsFinite(parameters[p]))
            {
                throw new InvalidDataException($"{path}: parameters[{p}] ({ParameterPacking.Describe(shape, p)}) is {parameters[p]}.");
            }
        }

        var preferences = new List<Preference>();
        for (int i = 0; i < (document.Preferences?.Count ?? 0); i++)
        {
            Preference preference = FromDocument(document.Preferences![i], $"preferences[{i}]", path);
            try
            {
                preference.Validate(shape);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{path}: preferences[{i}] is invalid: {e.Message}", e);
            }

            preferences.Add(preference);
        }

        return new LoadedModel(shape, parameters, preferences, document.Training);
    }

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

    private static Preference FromDocument(PreferenceDocument d, string where, string path) => new()
    {
        Layer = d.Layer,
        Neuron = d.AllNeurons ? null : d.Neuron ?? 0,
        Interval = new ActivationInterval(d.Lower ?? double.NegativeInfinity, d.Upper ?? double.PositiveInfinity, d.LowerInclusive, d.UpperInclusive),
        Relation = ParseEnum<PreferenceRelation>(d.Relation, where + ".relation", path),
        Target = d.Target,
        Tolerance = d.Tolerance,
        Distribution = ParseEnum<PreferenceDistribution>(d.Distribution, where + ".distribution", path),
        InputProbabilities = d.InputProbabilities,
        Method = ParseEnum<EnforcementMethod>(d.Method, where + ".method", path),
    };

    /// <summary>
    /// A member's exact name (case aside): not a number, not a list of flags, no spaces — an edited value must not load
    /// as something else.
    /// </summary>
    private static T ParseEnum<T>(string? text, string where, string path)
        where T : struct, Enum
    {
        foreach (string name in Enum.GetNames<T>())
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                return Enum.Parse<T>(name);
            }
        }

        throw new InvalidDataException($"{path}: {where} is '{text}'; expected one of {string.Join(", ", Enum.GetNames<T>())}.");
    }

    /// <summary>
    /// Before anything is deserialised: the number of values in "parameters" against the parameter count of "shape",
    /// by streaming over the bytes, so that an oversized or mismatched file is refused without materialising it.
    /// </summary>
    private static void CheckParameterCountFirst(byte[] bytes, string path)
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
            shape.Inputs is < 1 or > ShapeRules.MaxInputs || layers.Any(l => l.Width is < 1 or > ShapeRules.MaxWidth))
        {
            return; // the full parse reports an invalid shape
        }

        NetworkShape parsed;
        try
        {
            parsed = NetworkShape.Create(shape.Inputs, [.. layers.Select((l, i) => (l.Width, ParseEnum<Activation>(l.Activation, $"shape.layers[{i}].activation", path)))]);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            return; // the full parse reports an invalid shape
        }

        if (parameters != parsed.ParameterCount)
        {
            throw new InvalidDataException($"{path}: {parameters} parameters, but the shape {parsed} has {parsed.ParameterCount}.");
        }
    }
}

/// <summary>Writes files so that readers see the old content or the new, never a part.</summary>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="bytes"/> to a temporary file in the same folder, flushes it, and renames it over <paramref name="path"/>.</summary>
    public static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(directory);
        string temporary = Path.Combine(directory, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Writes text as UTF-8 (see <see cref="Write(string, ReadOnlySpan{byte})"/>).</summary>
    public static void WriteText(string path, string text) => Write(path, System.Text.Encoding.UTF8.GetBytes(text));
}
