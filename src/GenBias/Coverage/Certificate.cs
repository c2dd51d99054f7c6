using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading;

namespace GenBias;

/// <summary>
/// What a network's preference was proven (or estimated) to meet: the network's hash, the preference, the count
/// over the whole cube, the method and the time taken. Printable, and saved as JSON beside the model file.
/// </summary>
public sealed record Certificate
{
    /// <summary>The hash of the shape and parameter bits (<see cref="CoverageCounter.NetworkHash"/>).</summary>
    public required string NetworkHash { get; init; }

    /// <summary>The network's shape.</summary>
    public required string Shape { get; init; }

    /// <summary>The preference, in words.</summary>
    public required string Preference { get; init; }

    /// <summary>True for an exact count over every input; false for an estimate from samples.</summary>
    public required bool Exact { get; init; }

    /// <summary>How the rate was obtained (in the JSON file: "meet in the middle", "enumeration", "estimate (Clopper–Pearson)").</summary>
    public required CountMethod Method { get; init; }

    /// <summary>Where an exact count ran when not in one process (for example "3 silos (Orleans)"); null otherwise.</summary>
    public string? ComputedOn { get; init; }

    /// <summary>Exact: the inputs (times neurons) meeting the interval. Estimate: the sampled hits.</summary>
    public required long Count { get; init; }

    /// <summary>Exact: 3^n times the neurons. Estimate: the samples.</summary>
    public required long Total { get; init; }

    /// <summary>Count / Total.</summary>
    public double Fraction => (double)Count / Total;

    /// <summary>For an estimate, the confidence of <see cref="Lower"/> and <see cref="Upper"/>.</summary>
    public double? Confidence { get; init; }

    /// <summary>The lower end of the rate: the fraction itself when exact.</summary>
    public required double Lower { get; init; }

    /// <summary>The upper end of the rate: the fraction itself when exact.</summary>
    public required double Upper { get; init; }

    /// <summary>Whether the preference holds (for an estimate: over the whole interval).</summary>
    public required bool Met { get; init; }

    /// <summary>Seconds the count or estimate took.</summary>
    public required double Seconds { get; init; }

    /// <summary>A calibration's change of the output bias, if any.</summary>
    public float BiasShift { get; init; }

    /// <summary>For an estimate, why the rate was not counted exactly (for example the projected time, or a count that was refused); null when exact.</summary>
    public string? Reason { get; init; }

    /// <summary>The method in words, as the certificate's JSON writes it.</summary>
    public static string Describe(CountMethod method) => method switch
    {
        CountMethod.MeetInTheMiddle => "meet in the middle",
        CountMethod.Enumeration => "enumeration",
        _ => "estimate (Clopper–Pearson)",
    };

    /// <summary>The exact certificate of a finished count of <paramref name="preference"/> for <paramref name="network"/>.</summary>
    public static Certificate FromCount(ITernaryNetwork network, Preference preference, CountResult result)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(preference);
        ArgumentNullException.ThrowIfNull(result);
        return new Certificate
        {
            NetworkHash = CoverageCounter.NetworkHash(network), Shape = network.Shape.ToString(), Preference = preference.ToString(),
            Exact = true, Method = result.Method, ComputedOn = result.ComputedOn, Count = result.Count, Total = result.Total, Lower = result.Fraction, Upper = result.Fraction,
            Met = preference.IsMetBy(result.Fraction), Seconds = result.Elapsed.TotalSeconds,
        };
    }

    /// <summary>The path beside a model file where its certificate goes: model.json → model.certificate.json.</summary>
    public static string PathBeside(string modelPath) =>
        Path.Combine(Path.GetDirectoryName(modelPath) ?? ".", Path.GetFileNameWithoutExtension(modelPath) + ".certificate.json");

    /// <summary>Saves the certificate as JSON, atomically.</summary>
    public void Save(string path) => AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(this, Readable.Certificate));

    /// <summary>The JSON context that writes "→" as itself rather than \u2192 (the file is UTF-8).</summary>
    private static readonly CertificateJsonContext Readable = new(new JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>Reads a certificate.</summary>
    /// <exception cref="InvalidDataException">The file is not a readable certificate, or its numbers contradict each other.</exception>
    public static Certificate Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            throw new InvalidDataException($"{path} is a directory, not a certificate.");
        }

        Certificate certificate;
        try
        {
            certificate = JsonSerializer.Deserialize(File.ReadAllBytes(path), CertificateJsonContext.Default.Certificate)
                ?? throw new InvalidDataException($"{path}: not a certificate.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a readable certificate: {e.Message}", e);
        }

        if (certificate.Total <= 0 || certificate.Count < 0 || certificate.Count > certificate.Total ||
            !(certificate.Lower >= 0 && certificate.Lower <= certificate.Upper && certificate.Upper <= 1) || !(certificate.Seconds >= 0))
        {
            throw new InvalidDataException($"{path}: the certificate's numbers are inconsistent (count {certificate.Count} of {certificate.Total}, rate [{certificate.Lower}, {certificate.Upper}]).");
        }

        return certificate;
    }

    /// <summary>Reads the certificate of <paramref name="network"/>, refusing one that belongs to another network.</summary>
    /// <exception cref="InvalidDataException">The file is not a valid certificate, or its network hash or shape is not this network's.</exception>
    public static Certificate LoadFor(string path, ITernaryNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Certificate certificate = Load(path);
        string hash = CoverageCounter.NetworkHash(network);
        if (certificate.NetworkHash != hash || certificate.Shape != network.Shape.ToString())
        {
            throw new InvalidDataException(
                $"{path}: the certificate is for network {certificate.NetworkHash} ({certificate.Shape}), not this one ({hash}, {network.Shape}); certify this network again.");
        }

        return certificate;
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        text.Append(c, $"Certificate for {Shape} (parameters {NetworkHash})\n");
        text.Append(c, $"  preference: {Preference}\n");
        text.Append(Exact
            ? string.Create(c, $"  EXACT ({Describe(Method)}{(ComputedOn is null ? "" : " on " + ComputedOn)}): {Count:N0} of {Total:N0} = {Fraction:P4}\n")
            : string.Create(c, $"  ESTIMATED ({Describe(Method)}, {Confidence:P1} confidence): {Fraction:P2} in [{Lower:P2}, {Upper:P2}] from {Total:N0} samples\n"));
        if (Reason is not null)
        {
            text.Append(c, $"  not counted exactly: {Reason}\n");
        }

        if (BiasShift != 0)
        {
            text.Append(c, $"  output bias calibrated by {BiasShift:G6}\n");
        }

        text.Append(c, $"  {(Met ? "MET" : "NOT MET")}; {Seconds:F3} s");
        return text.ToString();
    }
}

/// <summary>How a certificate's rate was obtained.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CountMethod>))]
public enum CountMethod
{
    /// <summary>Exact: the first-layer pre-activation's distribution over the cube from two sorted halves.</summary>
    [JsonStringEnumMemberName("meet in the middle")]
    MeetInTheMiddle = 0,

    /// <summary>Exact: every input enumerated (sub-cubes decided by bounds where they can be).</summary>
    [JsonStringEnumMemberName("enumeration")]
    Enumeration = 1,

    /// <summary>An estimate from samples with a Clopper–Pearson interval.</summary>
    [JsonStringEnumMemberName("estimate (Clopper–Pearson)")]
    Estimate = 2,
}

[JsonSerializable(typeof(Certificate))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class CertificateJsonContext : JsonSerializerContext;
