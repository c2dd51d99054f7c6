using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
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

    /// <summary>
    /// The activation math the count was made under (<see cref="ActivationMath.Version"/>; 1 for a certificate that
    /// does not say, as GenBias 0.4 wrote them). A certificate holds only for the math it names.
    /// </summary>
    public int MathVersion { get => _mathVersion == 0 ? 1 : _mathVersion; init => _mathVersion = value; }

    // 0 where the JSON has no mathVersion: the reader sets an absent init-only property to its default.
    private readonly int _mathVersion = 1;

    /// <summary>The preference, in words.</summary>
    public required string Preference { get; init; }

    /// <summary>True for an exact count over every input; false for an estimate from samples or a certified interval.</summary>
    public required bool Exact { get; init; }

    /// <summary>
    /// How the rate was obtained (in the JSON file: "meet in the middle", "enumeration", "cube histogram",
    /// "certified interval (cube histogram)", "estimate (Clopper–Pearson)").
    /// </summary>
    public required CountMethod Method { get; init; }

    /// <summary>Where an exact count ran when not in one process (for example "3 silos (Orleans)"); null otherwise.</summary>
    public string? ComputedOn { get; init; }

    /// <summary>
    /// Exact: the inputs (times neurons) meeting the interval. Estimate: the sampled hits. Certified interval: 0 (the
    /// cube of 3^n inputs is beyond a 64-bit count; the rate is the interval).
    /// </summary>
    public required long Count { get; init; }

    /// <summary>Exact: 3^n times the neurons. Estimate: the samples. Certified interval: 0.</summary>
    public required long Total { get; init; }

    /// <summary>Count / Total; for a certified interval, the middle of [<see cref="Lower"/>, <see cref="Upper"/>].</summary>
    public double Fraction => Method == CountMethod.CertifiedInterval ? Lower + ((Upper - Lower) / 2) : (double)Count / Total;

    /// <summary>
    /// For a certified interval, its width <see cref="Upper"/> − <see cref="Lower"/> (the proved bound on the
    /// roundings of the histogram's double arithmetic, not a confidence); null otherwise.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Width => Method == CountMethod.CertifiedInterval ? Upper - Lower : null;

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

    /// <summary>
    /// How many sub-cubes of an exact enumeration were taken from a checkpoint instead of counted by this run. A
    /// checkpoint's digest catches damage and careless edits, not a forger who recomputes it, so a certificate says
    /// how much of its count it read rather than computed (0 when everything was counted).
    /// </summary>
    public long SubCubesRestored { get; init; }

    /// <summary>The method in words, as the certificate's JSON writes it.</summary>
    public static string Describe(CountMethod method) => method switch
    {
        CountMethod.MeetInTheMiddle => "meet in the middle",
        CountMethod.Enumeration => "enumeration",
        CountMethod.CubeHistogram => "cube histogram",
        CountMethod.CertifiedInterval => "certified interval (cube histogram)",
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
            NetworkHash = CoverageCounter.NetworkHash(network), Shape = network.Shape.ToString(), MathVersion = ActivationMath.Version,
            Preference = preference.ToString(), Exact = true, Method = result.Method, ComputedOn = result.ComputedOn, Count = result.Count, Total = result.Total, Lower = result.Fraction, Upper = result.Fraction,
            Met = preference.IsMetBy(result.Fraction), Seconds = result.Elapsed.TotalSeconds, SubCubesRestored = result.SubCubesRestored,
        };
    }

    /// <summary>
    /// The certificate of a certified interval [<paramref name="lower"/>, <paramref name="upper"/>] on the rate of a
    /// preference on first-layer neurons (<see cref="CountMethod.CertifiedInterval"/>).
    /// </summary>
    internal static Certificate FromInterval(ITernaryNetwork network, Preference preference, double lower, double upper, TimeSpan elapsed)
    {
        (double lo, double hi) = preference.Bounds;
        return new Certificate
        {
            NetworkHash = CoverageCounter.NetworkHash(network), Shape = network.Shape.ToString(), MathVersion = ActivationMath.Version,
            Preference = preference.ToString(), Exact = false, Method = CountMethod.CertifiedInterval, Count = 0, Total = 0, Lower = lower, Upper = upper,
            Met = lower >= lo && upper <= hi, Seconds = elapsed.TotalSeconds,
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

    /// <summary>
    /// Reads a certificate and checks that its fields agree with each other: a known method that matches
    /// <see cref="Exact"/>; an exact rate equal to <see cref="Count"/> / <see cref="Total"/>; an estimate's interval
    /// equal to the Clopper–Pearson interval of its count at its confidence; a certified interval without a count or a
    /// confidence, inside [0, 1]; restored sub-cubes only on an enumeration.
    /// Unknown or repeated properties are refused; a UTF-8 byte order mark is allowed.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a readable certificate, or its fields contradict each other.</exception>
    public static Certificate Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
        {
            throw new InvalidDataException($"{path} is a directory, not a certificate.");
        }

        ReadOnlySpan<byte> bytes = File.ReadAllBytes(path);
        if (bytes.StartsWith(Utf8ByteOrderMark))
        {
            bytes = bytes[Utf8ByteOrderMark.Length..];
        }

        Certificate certificate;
        try
        {
            certificate = JsonSerializer.Deserialize(bytes, Strict.Certificate)
                ?? throw new InvalidDataException($"{path}: not a certificate.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a readable certificate: {e.Message}", e);
        }

        if (certificate.Inconsistency() is string problem)
        {
            throw new InvalidDataException($"{path}: the certificate is inconsistent: {problem}.");
        }

        return certificate;
    }

    /// <summary>
    /// Reads the certificate of <paramref name="network"/>, refusing one that belongs to another network or whose
    /// fields disagree with each other or with the network (an exact count's total is 3^n times the neurons counted).
    /// </summary>
    /// <remarks>
    /// Without the preference, <see cref="Met"/> and <see cref="Preference"/> cannot be checked: use
    /// <see cref="LoadFor(string, ITernaryNetwork, GenBias.Preference)"/> when the preference is known.
    /// </remarks>
    /// <exception cref="InvalidDataException">The file is not a valid certificate, or its network hash or shape is not this network's.</exception>
    public static Certificate LoadFor(string path, ITernaryNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        Certificate certificate = Load(path);
        if (certificate.MathVersion != ActivationMath.Version)
        {
            throw new InvalidDataException(
                $"{path}: the certificate was made under activation math version {certificate.MathVersion}; this GenBias evaluates networks under version {ActivationMath.Version}, whose outputs differ by up to {ModelFile.Version1OutputChange:G2} per activation, so its count no longer holds: certify this network again (genbias certify).");
        }

        string hash = CoverageCounter.NetworkHash(network);
        NetworkShape shape = network.Shape;
        if (certificate.NetworkHash != hash || certificate.Shape != shape.ToString())
        {
            throw new InvalidDataException(
                $"{path}: the certificate is for network {certificate.NetworkHash} ({certificate.Shape}), not this one ({hash}, {shape}); certify this network again.");
        }

        if (certificate.Exact)
        {
            long cube = shape.InputCount <= CoverageCounter.FirstLayerExactMaxInputs ? CoverageCounter.Pow3(shape.InputCount) : 0;
            bool wholeNeurons = cube > 0 && certificate.Total % cube == 0 &&
                (certificate.Total / cube == 1 || shape.Layers.Any(l => l.Width == certificate.Total / cube));
            if (!wholeNeurons)
            {
                throw new InvalidDataException(
                    $"{path}: the certificate is inconsistent: an exact count of this {shape.InputCount}-input network has a total of 3^{shape.InputCount} = {cube:N0} times the neurons counted (1 or a layer's width), not {certificate.Total:N0}.");
            }
        }

        return certificate;
    }

    /// <summary>
    /// Reads the certificate of <paramref name="preference"/> for <paramref name="network"/>: as
    /// <see cref="LoadFor(string, ITernaryNetwork)"/>, and also the preference's text, the neurons the total counts,
    /// and <see cref="Met"/> (recomputed from the rate and the preference's bounds).
    /// </summary>
    /// <exception cref="InvalidDataException">The certificate is not valid, not this network's, or not this preference's.</exception>
    public static Certificate LoadFor(string path, ITernaryNetwork network, Preference preference)
    {
        ArgumentNullException.ThrowIfNull(preference);
        Certificate certificate = LoadFor(path, network);
        NetworkShape shape = network.Shape;
        preference.Validate(shape);
        if (certificate.Preference != preference.ToString())
        {
            throw new InvalidDataException($"{path}: the certificate is for the preference '{certificate.Preference}', not '{preference}'.");
        }

        if (certificate.Method == CountMethod.CertifiedInterval && preference.ResolveLayer(shape) != 0)
        {
            throw new InvalidDataException($"{path}: the certificate is inconsistent: a certified interval is for first-layer neurons, and '{preference}' is on layer {preference.ResolveLayer(shape)}.");
        }

        if (certificate.Exact)
        {
            long neurons = preference.Neuron is null ? shape.Layers[preference.ResolveLayer(shape)].Width : 1;
            long cube = CoverageCounter.Pow3(shape.InputCount);
            long total = cube <= long.MaxValue / neurons ? cube * neurons : -1;
            if (certificate.Total != total)
            {
                throw new InvalidDataException(total < 0
                    ? $"{path}: the certificate is inconsistent: the exact total of '{preference}', 3^{shape.InputCount} × {neurons}, is beyond a 64-bit count."
                    : $"{path}: the certificate is inconsistent: the exact total of '{preference}' is 3^{shape.InputCount} × {neurons} = {total:N0}, not {certificate.Total:N0}.");
            }
        }

        (double lower, double upper) = preference.Bounds;
        bool met = certificate.Lower >= lower && certificate.Upper <= upper;
        if (certificate.Met != met)
        {
            throw new InvalidDataException(
                $"{path}: the certificate is inconsistent: it says {(certificate.Met ? "met" : "not met")}, but its rate [{certificate.Lower}, {certificate.Upper}] against the bounds [{lower}, {upper}] of '{preference}' is {(met ? "met" : "not met")}.");
        }

        return certificate;
    }

    /// <summary>What makes the certificate's fields contradict each other, or null.</summary>
    private string? Inconsistency()
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        if (string.IsNullOrWhiteSpace(NetworkHash) || string.IsNullOrWhiteSpace(Shape) || string.IsNullOrWhiteSpace(Preference))
        {
            return "the network hash, shape and preference must not be empty";
        }

        if (MathVersion < 1 || MathVersion > ActivationMath.Version)
        {
            return string.Create(c, $"activation math version {MathVersion} is not one this GenBias knows (1 to {ActivationMath.Version})");
        }

        if (!Enum.IsDefined(Method))
        {
            return string.Create(c, $"method {(int)Method} is not one of {string.Join(", ", Enum.GetValues<CountMethod>().Select(Describe))}");
        }

        if (Method == CountMethod.CertifiedInterval)
        {
            return CertifiedIntervalInconsistency(c);
        }

        if (Total <= 0 || Count < 0 || Count > Total)
        {
            return string.Create(c, $"a count of {Count} of {Total} is not a count");
        }

        if (!(Seconds >= 0) || double.IsInfinity(Seconds) || !float.IsFinite(BiasShift) || SubCubesRestored < 0)
        {
            return string.Create(c, $"seconds {Seconds}, bias shift {BiasShift} and restored sub-cubes {SubCubesRestored} must be finite and not negative");
        }

        if (Exact)
        {
            if (Method == CountMethod.Estimate || Confidence is not null)
            {
                return $"an exact certificate has the method '{Describe(Method)}'{(Confidence is null ? "" : " and a confidence")}";
            }

            if (Lower != Fraction || Upper != Fraction)
            {
                return string.Create(c, $"the exact rate of {Count} of {Total} is {Fraction:R}, but the certificate says [{Lower:R}, {Upper:R}]");
            }

            if (SubCubesRestored > 0 && Method != CountMethod.Enumeration)
            {
                return string.Create(c, $"{SubCubesRestored} sub-cubes restored from a checkpoint, but only an enumeration keeps checkpoints");
            }

            return null;
        }

        if (Method != CountMethod.Estimate || SubCubesRestored != 0)
        {
            return $"an estimate has the method '{Describe(Method)}'{(SubCubesRestored != 0 ? " and restored sub-cubes" : "")}";
        }

        if (Confidence is not (> 0 and < 1))
        {
            return string.Create(c, $"an estimate's confidence {Confidence} is not in (0, 1)");
        }

        RateInterval interval = ClopperPearson.Interval(Count, Total, Confidence.Value);
        if (!Close(interval.Lower, Lower) || !Close(interval.Upper, Upper))
        {
            return string.Create(c, $"{Count} of {Total} samples at {Confidence:P1} confidence give the interval [{interval.Lower:R}, {interval.Upper:R}], but the certificate says [{Lower:R}, {Upper:R}]");
        }

        return null;

        static bool Close(double expected, double actual) => Math.Abs(expected - actual) <= 1e-9 * Math.Max(1e-6, Math.Abs(expected));
    }

    /// <summary>What makes a certified interval's fields contradict each other, or null.</summary>
    private string? CertifiedIntervalInconsistency(CultureInfo c)
    {
        if (Exact || Confidence is not null || Count != 0 || Total != 0 || SubCubesRestored != 0)
        {
            return string.Create(c, $"a certified interval is not exact and has no confidence, count, total or restored sub-cubes (it says exact {Exact}, confidence {Confidence}, count {Count} of {Total}, {SubCubesRestored} sub-cubes restored)");
        }

        if (!(Lower >= 0 && Lower <= Upper && Upper <= 1))
        {
            return string.Create(c, $"the certified interval [{Lower:R}, {Upper:R}] is not an interval inside [0, 1]");
        }

        if (!(Seconds >= 0) || double.IsInfinity(Seconds) || !float.IsFinite(BiasShift))
        {
            return string.Create(c, $"seconds {Seconds} and bias shift {BiasShift} must be finite and not negative");
        }

        return null;
    }

    private static ReadOnlySpan<byte> Utf8ByteOrderMark => [0xEF, 0xBB, 0xBF];

    /// <summary>The reading context: no unknown members, no repeated ones.</summary>
    private static readonly CertificateJsonContext Strict = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowDuplicateProperties = false,
    });

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        text.Append(c, $"Certificate for {Shape} (parameters {NetworkHash}, activation math {MathVersion})\n");
        text.Append(c, $"  preference: {Preference}\n");
        text.Append(Exact
            ? string.Create(c, $"  EXACT ({Describe(Method)}{(ComputedOn is null ? "" : " on " + ComputedOn)}): {Count:N0} of {Total:N0} = {Fraction:P4}\n")
            : Method == CountMethod.CertifiedInterval
                ? string.Create(c, $"  CERTIFIED INTERVAL (cube histogram, roundings bounded): the rate is in [{Lower:R}, {Upper:R}], width {Width:G3}\n")
                : string.Create(c, $"  ESTIMATED ({Describe(Method)}, {Confidence:P1} confidence): {Fraction:P2} in [{Lower:P2}, {Upper:P2}] from {Total:N0} samples\n"));
        if (Reason is not null)
        {
            text.Append(c, $"  not counted exactly: {Reason}\n");
        }

        if (BiasShift != 0)
        {
            text.Append(c, $"  output bias calibrated by {BiasShift:G6}\n");
        }

        if (SubCubesRestored > 0)
        {
            text.Append(c, $"  {SubCubesRestored:N0} sub-cubes restored from a checkpoint (their counts were read, not recomputed)\n");
        }

        text.Append(c, $"  {(Met ? "MET" : "NOT MET")}; {Seconds:F3} s");
        return text.ToString();
    }
}

/// <summary>How a certificate's rate was obtained.</summary>
[JsonConverter(typeof(CountMethodConverter))]
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

    /// <summary>
    /// Exact: a first-layer neuron of up to <see cref="CoverageCounter.FirstLayerExactMaxInputs"/> inputs, from the
    /// histogram of its sum over the cube in integer counts.
    /// </summary>
    [JsonStringEnumMemberName("cube histogram")]
    CubeHistogram = 3,

    /// <summary>
    /// Certified, not exact: first-layer neurons of any width, from the histogram of their sums over the cube in doubles
    /// whose roundings are bounded by proof; the rate lies in [Lower, Upper] for certain (no confidence, no samples).
    /// </summary>
    [JsonStringEnumMemberName("certified interval (cube histogram)")]
    CertifiedInterval = 4,
}

/// <summary>Writes a <see cref="CountMethod"/> as its words and reads exactly those words (no numbers, no other case).</summary>
internal sealed class CountMethodConverter : JsonConverter<CountMethod>
{
    public override CountMethod Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        string? text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        foreach (CountMethod method in Enum.GetValues<CountMethod>())
        {
            if (text == Certificate.Describe(method))
            {
                return method;
            }
        }

        throw new JsonException($"the method {(text is null ? reader.TokenType.ToString() : "'" + text + "'")} is not one of " +
                                $"{string.Join(", ", Enum.GetValues<CountMethod>().Select(m => "'" + Certificate.Describe(m) + "'"))}.");
    }

    public override void Write(Utf8JsonWriter writer, CountMethod value, JsonSerializerOptions options) =>
        writer.WriteStringValue(Certificate.Describe(value));
}

[JsonSerializable(typeof(Certificate))]
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class CertificateJsonContext : JsonSerializerContext;
