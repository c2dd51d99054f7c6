using System;
using System.IO;
using System.Linq;
using System.Text;
using GenBias.Tests.Training;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// Model files, certificates and the preference rule as a hostile user meets them: what Save writes loads, what Load
/// refuses Save never writes, edited certificates are refused, and the shared rule's limits are the arithmetic's own.
/// </summary>
public sealed class RobustReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("genbias-readers").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static SeedNeuron Neuron()
    {
        var network = new SeedNeuron();
        float[] parameters = new float[SeedNeuron.ParameterCount];
        for (int i = 0; i < 25; i++)
        {
            parameters[i] = ((i % 5) - 2) * 0.0625f;
        }

        parameters[25] = 0.125f;
        network.SetParameters(parameters);
        return network;
    }

    [Theory]
    [InlineData("target 2")]
    [InlineData("layer 99")]
    [InlineData("above 5 on tanh")]
    [InlineData("calibration on a two-sided interval")]
    [InlineData("probabilities that do not sum to 1")]
    public void Item4_Save_refuses_what_Load_would_refuse_and_keeps_the_old_file(string which)
    {
        SeedNeuron network = Neuron();
        string path = Path.Combine(_folder, "neuron.json");
        ModelFile.Save(path, network, [Preference.OutputAbove(0.5, 0.6)]);
        byte[] good = File.ReadAllBytes(path);
        Preference bad = which switch
        {
            "target 2" => Preference.OutputAbove(0.5, 2),
            "layer 99" => Preference.OutputAbove(0.5, 0.6) with { Layer = 99 },
            "above 5 on tanh" => Preference.OutputAbove(5, 0.6),
            "calibration on a two-sided interval" => new Preference { Interval = ActivationInterval.Between(-0.5, 0.5), Target = 0.5, Method = EnforcementMethod.Calibration },
            _ => Preference.OutputAbove(0.5, 0.6) with { Distribution = PreferenceDistribution.Product, InputProbabilities = [1, 0.5, 0.5] },
        };

        var e = Assert.Throws<ArgumentException>(() => ModelFile.Save(path, network, [Preference.OutputAbove(0.5, 0.6), bad]));
        Assert.Contains("preferences[1]", e.Message);
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Theory]
    [InlineData(220)]
    [InlineData(240)]
    [InlineData(250)]
    public void Item14_Save_writes_a_file_name_of_any_legal_length(int length)
    {
        string name = new string('m', length - ".json".Length) + ".json";
        string path = Path.Combine(_folder, name);
        SeedNeuron network = Neuron();
        ModelFile.Save(path, network);
        ModelFile.Save(path, network);   // over an existing file too
        Assert.Equal(network.Parameters.ToArray(), ModelFile.Load(path).Parameters);
        Assert.Equal([name], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void Item16_Save_under_a_file_says_the_parent_is_a_file()
    {
        string file = Path.Combine(_folder, "notes.txt");
        File.WriteAllText(file, "not a folder");
        var e = Assert.Throws<IOException>(() => ModelFile.Save(Path.Combine(file, "sub", "model.json"), Neuron()));
        Assert.Contains($"{file} is a file, not a folder", e.Message);
        Assert.Equal("not a folder", File.ReadAllText(file));

        e = Assert.Throws<IOException>(() => ModelFile.Save(_folder, Neuron()));
        Assert.Contains("it is a folder", e.Message);
    }

    [Theory]
    [InlineData("\"Tanh\"", "\"tANH\"", "shape.layers[0].activation is 'tANH'")]
    [InlineData("\"AtLeast\"", "\"atleast\"", "preferences[0].relation is 'atleast'")]
    [InlineData("\"UniformCube\"", "\"uniformcube\"", "preferences[0].distribution is 'uniformcube'")]
    [InlineData("\"ProxyLagrangian\"", "\"PROXYLAGRANGIAN\"", "preferences[0].method is 'PROXYLAGRANGIAN'")]
    public void Item16_enum_names_in_other_case_are_refused(string exact, string edited, string message)
    {
        string path = Path.Combine(_folder, "neuron.json");
        ModelFile.Save(path, Neuron(), [Preference.OutputAbove(0.5, 0.6)]);
        File.WriteAllText(path, File.ReadAllText(path).Replace(exact, edited, StringComparison.Ordinal));
        Assert.Contains(message, Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);
    }

    [Fact]
    public void Item3_a_byte_order_mark_is_accepted_and_a_repeated_key_refused()
    {
        SeedNeuron network = Neuron();
        string path = Path.Combine(_folder, "neuron.json");
        ModelFile.Save(path, network, [Preference.OutputAbove(0.5, 0.6)]);
        string json = File.ReadAllText(path);
        File.WriteAllText(path, json, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(0xEF, File.ReadAllBytes(path)[0]);
        Assert.Equal(network.Parameters.ToArray(), ModelFile.Load(path).Parameters);

        // A second "shape" would silently turn Tanh into Sigmoid if the last one counted.
        File.WriteAllText(path, json.Replace("\"parameters\":", "\"shape\": { \"inputs\": 25, \"layers\": [ { \"width\": 1, \"activation\": \"Sigmoid\" } ] },\n  \"parameters\":", StringComparison.Ordinal));
        Assert.Contains("the property 'shape' appears twice", Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);

        Certificate certificate = Certifier.Certify(network, Preference.OutputAbove(0.5, 0.5));
        string certificatePath = Path.Combine(_folder, "neuron.certificate.json");
        certificate.Save(certificatePath);
        File.WriteAllText(certificatePath, File.ReadAllText(certificatePath), new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal(certificate, Certificate.LoadFor(certificatePath, network));
    }

    [Theory]
    [InlineData("\"training\": 5", "training is a number, expected an object")]
    [InlineData("\"training\": { \"seed\": -3 }", "training.seed must be a whole number from 0")]
    [InlineData("\"training\": { \"seed\": 1, \"colour\": 1 }", "unknown property 'colour' in training")]
    [InlineData("\"extra\": true", "unknown property 'extra' in the file")]
    public void Item3_unknown_properties_and_wrong_training_metadata_are_refused(string member, string message)
    {
        string path = Path.Combine(_folder, "neuron.json");
        ModelFile.Save(path, Neuron());
        string json = File.ReadAllText(path);
        File.WriteAllText(path, json.Insert(json.LastIndexOf('}'), ", " + member));
        Assert.Contains(message, Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);
    }

    [Fact]
    public void Item16_tanh_reaches_0_99999994_and_no_more()
    {
        // Every float from 4 to beyond the clamp (tanh is below 0.9994 before 4); the function is odd.
        float largest = 0;
        for (float x = 4f; x <= 9f; x = MathF.BitIncrement(x))
        {
            largest = MathF.Max(largest, ActivationMath.Tanh(x));
        }

        Assert.Equal(PreferenceRules.TanhLargest, largest);
        Assert.Equal(PreferenceRules.TanhLargest, ActivationMath.Tanh(8.317766f));
        Assert.True(ActivationMath.Tanh(MathF.BitDecrement(8.317766f)) < PreferenceRules.TanhLargest);
        Assert.Equal(-PreferenceRules.TanhLargest, ActivationMath.Tanh(-8.317766f));
        Assert.Equal(1f, ActivationMath.Apply(Activation.Sigmoid, 2 * 8.317766f));
        Assert.Equal(PreferenceRules.SigmoidSmallest, ActivationMath.Apply(Activation.Sigmoid, -2 * 8.317766f));

        // So an interval above 0.9999999 is reachable (0.99999994 meets it), and one above 0.99999995 is not.
        NetworkShape shape = SeedNeuron.Shape;
        Preference.OutputAbove(0.9999999, 0.5).Validate(shape);
        var e = Assert.Throws<ArgumentException>(() => Preference.OutputAbove(0.99999995, 0.5).Validate(shape));
        Assert.Contains("lies outside the range [-0.9999999403953552, 0.9999999403953552] (the extremes float arithmetic gives; (-1, 1) in exact arithmetic) of Tanh", e.Message);
        Assert.Throws<ArgumentException>(() => (Preference.OutputAbove(0.5, 0.5) with { Interval = ActivationInterval.Below(1e-8) }).Validate(
            NetworkShape.Create(3, (1, Activation.Sigmoid))));
        (Preference.OutputAbove(0.5, 0.5) with { Interval = ActivationInterval.Between(1, 1) }).Validate(NetworkShape.Create(3, (1, Activation.Sigmoid)));
    }

    [Fact]
    public void The_shared_rules_name_every_enum_member_by_value()
    {
        Assert.Equal(Enum.GetNames<Activation>(), PreferenceRules.ActivationNames);
        Assert.Equal(Enum.GetNames<PreferenceRelation>(), PreferenceRules.RelationNames);
        Assert.Equal(Enum.GetNames<PreferenceDistribution>(), PreferenceRules.DistributionNames);
        Assert.Equal(Enum.GetNames<EnforcementMethod>(), PreferenceRules.MethodNames);
        Assert.Equal(ShapeRules.MaxInputs, PreferenceRules.MaxProjectionInputs);
        foreach (string name in PreferenceRules.ActivationNames)
        {
            Assert.Equal(name, Enum.Parse<Activation>(name).ToString());
        }
    }
}

/// <summary>Edited certificates: every field agrees with the others and with the network, or the file is refused.</summary>
public sealed class CertificateEditTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("genbias-certificates").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (SeedNeuron Network, Preference Preference, string Json, string Path) Certified(string folder)
    {
        var network = new SeedNeuron();
        float[] parameters = new float[SeedNeuron.ParameterCount];
        for (int i = 0; i < 25; i++)
        {
            parameters[i] = ((i % 3) - 1) * 0.125f;
        }

        network.SetParameters(parameters);
        Preference preference = Preference.OutputAbove(0.1, 0.3);
        Certificate certificate = Certifier.Certify(network, preference);
        Assert.True(certificate.Exact);
        string path = System.IO.Path.Combine(folder, "neuron.certificate.json");
        certificate.Save(path);
        Assert.Equal(certificate, Certificate.LoadFor(path, network, preference));
        return (network, preference, File.ReadAllText(path), path);
    }

    private static string Edit(string json, string member, Func<string, string> value)
    {
        string key = $"\"{member}\": ";
        int at = json.IndexOf(key, StringComparison.Ordinal) + key.Length;
        int end = json.IndexOfAny([',', '\n'], at);
        return json[..at] + value(json[at..end].Trim()) + json[end..];
    }

    [Theory]
    [InlineData("count raised by 1,000")]
    [InlineData("total changed")]
    [InlineData("total doubled with the count")]
    [InlineData("unknown method")]
    [InlineData("method as a number")]
    [InlineData("unknown property")]
    [InlineData("estimate with an exact rate")]
    [InlineData("negative restored sub-cubes")]
    [InlineData("restored sub-cubes on meet in the middle")]
    public void Item7_an_edited_certificate_is_refused_by_LoadFor(string edit)
    {
        (SeedNeuron network, _, string json, string path) = Certified(_folder);
        string edited = edit switch
        {
            "count raised by 1,000" => Edit(json, "count", v => (long.Parse(v, System.Globalization.CultureInfo.InvariantCulture) + 1000).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "total changed" => Edit(json, "total", v => (long.Parse(v, System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "total doubled with the count" => Edit(Edit(json, "total", v => (2 * long.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                "count", v => (2 * long.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "unknown method" => Edit(json, "method", _ => "\"guessing\""),
            "method as a number" => Edit(json, "method", _ => "7"),
            "unknown property" => json.Insert(json.LastIndexOf('}'), ", \"signature\": \"trust me\""),
            "estimate with an exact rate" => Edit(Edit(json, "exact", _ => "false"), "method", _ => "\"estimate (Clopper–Pearson)\""),
            "negative restored sub-cubes" => Edit(json, "subCubesRestored", _ => "-1"),
            _ => Edit(json, "subCubesRestored", _ => "4"),
        };
        Assert.NotEqual(json, edited);
        File.WriteAllText(path, edited);
        var e = Assert.Throws<InvalidDataException>(() => Certificate.LoadFor(path, network));
        Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData("met flipped")]
    [InlineData("preference replaced")]
    public void Item7_an_edited_met_or_preference_is_refused_by_LoadFor_with_the_preference(string edit)
    {
        (SeedNeuron network, Preference preference, string json, string path) = Certified(_folder);
        string edited = edit == "met flipped"
            ? Edit(json, "met", v => v == "true" ? "false" : "true")
            : Edit(json, "preference", _ => "\"output > 0.1 on at least 10.0 % of the cube\"");
        File.WriteAllText(path, edited);
        var e = Assert.Throws<InvalidDataException>(() => Certificate.LoadFor(path, network, preference));
        Assert.Contains(edit == "met flipped" ? "it says" : "not 'output > 0.1 on at least 30.0 % of the cube'", e.Message);
    }

    [Fact]
    public void Item7_an_estimate_whose_count_was_raised_is_refused()
    {
        RateInterval rate = ClopperPearson.Interval(600_000, 1_000_000, 0.999);
        var certificate = new Certificate
        {
            NetworkHash = "0123456789abcdef", Shape = "25 → Dense(1, Tanh)", Preference = "output > 0.5 on at least 60.0 % of the cube",
            Exact = false, Method = CountMethod.Estimate, Count = rate.Successes, Total = rate.Trials, Confidence = 0.999,
            Lower = rate.Lower, Upper = rate.Upper, Met = false, Seconds = 1,
        };
        string path = Path.Combine(_folder, "estimate.certificate.json");
        certificate.Save(path);
        Assert.Equal(certificate, Certificate.Load(path));
        File.WriteAllText(path, Edit(File.ReadAllText(path), "count", _ => "601000"));
        Assert.Contains("give the interval", Assert.Throws<InvalidDataException>(() => Certificate.Load(path)).Message);
    }

    [Fact]
    public void Item7_a_certificate_says_how_many_sub_cubes_came_from_a_checkpoint()
    {
        var network = new SeedNeuron();
        network.SetParameters(new float[SeedNeuron.ParameterCount]);
        Preference preference = Preference.OutputAbove(-0.5, 0.5);
        long cube = CoverageCounter.Pow3(25);
        var result = new CountResult(cube, cube, CountMethod.Enumeration, TimeSpan.FromSeconds(2), 0) { SubCubesRestored = 12 };
        Certificate certificate = Certificate.FromCount(network, preference, result);
        Assert.Equal(12, certificate.SubCubesRestored);
        Assert.Contains("12 sub-cubes restored from a checkpoint (their counts were read, not recomputed)", certificate.ToString());
        string path = Path.Combine(_folder, "restored.certificate.json");
        certificate.Save(path);
        Assert.Contains("\"subCubesRestored\": 12", File.ReadAllText(path));
        Assert.Equal(certificate, Certificate.LoadFor(path, network, preference));

        // Counted from scratch: nothing restored, and the text does not mention checkpoints.
        Certificate fresh = Certificate.FromCount(network, preference, result with { SubCubesRestored = 0 });
        Assert.DoesNotContain("checkpoint", fresh.ToString());
    }
}
