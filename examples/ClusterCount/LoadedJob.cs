using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using GenBias;
using GenBias.Cluster;

/// <summary>
/// A model file, the preference counted and the inputs held fixed, as <c>count</c> and <c>throughput</c> read them from
/// their options (one reader, one set of messages).
/// </summary>
internal sealed record LoadedJob(byte[] Bytes, LoadedModel Model, int PreferenceIndex, sbyte[] FixedInputs, int LeafFreeInputs)
{
    /// <summary>Inputs left to count.</summary>
    public int FreeInputs => Model.Shape.InputCount - FixedInputs.Length;

    /// <summary>A job over 3^<paramref name="split"/> sub-cubes, with <paramref name="moreFixed"/> held after the fixed inputs.</summary>
    public CountJob Job(int split, sbyte[] moreFixed) => new()
    {
        Model = Bytes, PreferenceIndex = PreferenceIndex, SplitDepth = split, LeafFreeInputs = LeafFreeInputs, FixedInputs = [.. FixedInputs, .. moreFixed],
    };

    /// <summary>Reads <c>--model</c>, <c>--preference</c>, <c>--fix</c> and <c>--leaf</c>.</summary>
    /// <exception cref="ArgumentException">An option is missing or wrong, or the file is not a model with a preference.</exception>
    public static async Task<LoadedJob> Read(Dictionary<string, string?> options, string command)
    {
        string model = options.TryGetValue("--model", out string? m) ? m! : throw new ArgumentException($"{command} needs --model file.json");
        if (!File.Exists(model))
        {
            throw new ArgumentException(Directory.Exists(model) ? $"{model} is a folder, not a model file" : $"{model} does not exist");
        }

        byte[] bytes = await File.ReadAllBytesAsync(model);
        LoadedModel loaded;
        try
        {
            loaded = ModelFile.Read(bytes, model);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or NotSupportedException or System.Text.Json.JsonException)
        {
            throw new ArgumentException(e.Message.StartsWith(model, StringComparison.Ordinal) ? e.Message : $"{model} is not a GenBias model file: {e.Message}");
        }

        if (loaded.Preferences.Count == 0)
        {
            throw new ArgumentException($"{model} declares no preference to count");
        }

        int preferenceIndex = Cli.Integer(options, "--preference", 0, 0, loaded.Preferences.Count - 1, $" ({model} declares {loaded.Preferences.Count})");
        sbyte[] fixedInputs = Cli.Text(options, "--fix", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(t => sbyte.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out sbyte v) && v is >= -1 and <= 1 ? v : throw new ArgumentException($"--fix holds '{t}'; inputs are -1, 0 or 1"))
            .ToArray();
        if (loaded.Shape.InputCount - fixedInputs.Length < 1)
        {
            throw new ArgumentException($"--fix gives {fixedInputs.Length} values, but the model has {loaded.Shape.InputCount} inputs; leave at least one to count");
        }

        return new LoadedJob(bytes, loaded, preferenceIndex, fixedInputs, Cli.Integer(options, "--leaf", 9, 5, 20));
    }
}
