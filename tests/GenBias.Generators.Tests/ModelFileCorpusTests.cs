using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>
/// One corpus of model files — valid ones and every kind of invalid one — read by both readers: the generator (a
/// <c>[TernaryNetwork(Model = …)]</c> network per file, through the real driver) and the runtime
/// (<see cref="ModelFile.Read"/>). Both accept the same files, and refuse the others naming the same problem.
/// </summary>
public class ModelFileCorpusTests
{
    // 3 → Dense(2, Tanh) → Dense(1, Tanh), 11 parameters, the first layer on the grid.
    private const string Shape = "\"shape\": { \"inputs\": 3, \"layers\": [ { \"width\": 2, \"activation\": \"Tanh\" }, { \"width\": 1, \"activation\": \"Tanh\" } ] }";
    private const string Parameters = "\"parameters\": [ 0.5, -0.25, 0.125, 1, -1, 0.75, 0.0625, -0.5, 0.3, -0.7, 0.1 ]";

    private static string Model(string preference = "", string extra = "", string shape = Shape, string parameters = Parameters) =>
        "{\n  \"formatVersion\": 1,\n  " + shape + ",\n  " + parameters +
        (preference.Length > 0 ? ",\n  \"preferences\": [ { " + preference + " } ]" : "") + extra + "\n}";

    private static string Prefer(string fields) =>
        "\"layer\": -1, \"neuron\": 0, \"relation\": \"AtLeast\", \"target\": 0.6, \"distribution\": \"UniformCube\", \"method\": \"ProxyLagrangian\", " + fields;

    /// <summary>Each file with the words both refusals must contain, or null when both must accept it.</summary>
    public static readonly (string Name, string Json, string? Problem)[] Corpus =
    [
        ("valid", Model(Prefer("\"lower\": 0.5")), null),
        ("valid with a byte order mark", "\uFEFF" + Model(Prefer("\"lower\": 0.5")), null),
        ("valid with training", Model(Prefer("\"lower\": 0.5"), ",\n  \"training\": { \"seed\": 18446744073709551615, \"epochs\": 3, \"selectedEpoch\": 2, \"trainAccuracy\": 0.75, \"validationAccuracy\": null, \"settings\": \"Adam\" }"), null),
        ("valid with null preferences and training", Model("", ",\n  \"preferences\": null, \"training\": null"), null),
        ("valid closed upper bound", Model(Prefer("\"upper\": -0.25, \"upperInclusive\": true")), null),
        ("valid product", Model(Prefer("\"lower\": 0, \"distribution\": \"Product\", \"inputProbabilities\": [0.25, 0.5, 0.25]").Replace("\"distribution\": \"UniformCube\", ", "")), null),
        ("valid calibration", Model(Prefer("\"lower\": 0.2").Replace("ProxyLagrangian", "Calibration")), null),
        ("valid projection", Model(Prefer("\"lower\": 0, \"layer\": 0").Replace("\"layer\": -1, ", "").Replace("ProxyLagrangian", "Projection")), null),
        ("valid just below tanh's largest value", Model(Prefer("\"lower\": 0.9999999")), null),
        ("valid format version 2", Model().Replace("\"formatVersion\": 1", "\"formatVersion\": 2"), null),
        ("valid every neuron", Model(Prefer("\"lower\": 0, \"allNeurons\": true, \"layer\": 0").Replace("\"layer\": -1, ", "")), null),

        ("lower bound 1 on tanh", Model(Prefer("\"lower\": 1.0")), "lies outside the range (-1, 1) of Tanh"),
        ("lower bound 2 on tanh", Model(Prefer("\"lower\": 2.0")), "lies outside the range (-1, 1) of Tanh"),
        ("beyond tanh's float extremes", Model(Prefer("\"lower\": 0.99999995")), "(the extremes float arithmetic gives; (-1, 1) in exact arithmetic) of Tanh"),
        ("the interval (0.5, 0.5)", Model(Prefer("\"lower\": 0.5, \"upper\": 0.5")), "the interval in (0.5, 0.5) is empty"),
        ("an upper bound below the lower", Model(Prefer("\"lower\": 0.5, \"upper\": 0.2")), "is empty"),
        ("calibration on a two-sided interval", Model(Prefer("\"lower\": 0.2, \"upper\": 0.6").Replace("ProxyLagrangian", "Calibration")), "calibration shifts the output bias"),
        ("calibration of every output", Model(Prefer("\"lower\": 0.2, \"allNeurons\": true").Replace("ProxyLagrangian", "Calibration")), "calibration shifts the output bias"),
        ("projection over the training data", Model(Prefer("\"lower\": 0, \"layer\": 0").Replace("\"layer\": -1, ", "").Replace("ProxyLagrangian", "Projection").Replace("UniformCube", "TrainingData")), "projection clamps a first-layer neuron's bias"),
        ("projection of the output", Model(Prefer("\"lower\": 0").Replace("ProxyLagrangian", "Projection")), "projection clamps a first-layer neuron's bias"),
        ("product [1, .5, .5]", Model(Prefer("\"lower\": 0, \"inputProbabilities\": [1, 0.5, 0.5]").Replace("UniformCube", "Product")), "InputProbabilities[0..2] (1, 0.5, 0.5) must be non-negative and sum to 1"),
        ("product [-1, 1, 1]", Model(Prefer("\"lower\": 0, \"inputProbabilities\": [-1, 1, 1]").Replace("UniformCube", "Product")), "InputProbabilities[0..2] (-1, 1, 1) must be non-negative and sum to 1"),
        ("product without probabilities", Model(Prefer("\"lower\": 0").Replace("UniformCube", "Product")), "a product distribution needs InputProbabilities"),
        ("product with 4 probabilities", Model(Prefer("\"lower\": 0, \"inputProbabilities\": [0.5, 0.5, 0, 0]").Replace("UniformCube", "Product")), "InputProbabilities has 4 values; give 3 (for every input) or 9"),
        ("target 1.5", Model(Prefer("\"lower\": 0.5").Replace("0.6", "1.5")), "the target fraction 1.5 is outside [0, 1]"),
        ("tolerance 2 on About", Model(Prefer("\"lower\": 0.5, \"tolerance\": 2").Replace("AtLeast", "About")), "the tolerance 2 is outside [0, 1]"),
        ("layer 99", Model(Prefer("\"lower\": 0.5, \"layer\": 99").Replace("\"layer\": -1, ", "")), "layer 99 does not exist"),
        ("neuron 5", Model(Prefer("\"lower\": 0.5, \"neuron\": 5").Replace("\"neuron\": 0, ", "")), "neuron 5 does not exist; layer 1 has 1 neurons"),
        ("lower-case activation", Model(shape: Shape.Replace("\"Tanh\" }, { \"width\": 1", "\"tANH\" }, { \"width\": 1")), "shape.layers[0].activation is 'tANH'"),
        ("lower-case relation", Model(Prefer("\"lower\": 0.5").Replace("AtLeast", "atleast")), "preferences[0].relation is 'atleast'"),
        ("numeric relation", Model(Prefer("\"lower\": 0.5").Replace("\"AtLeast\"", "0")), "preferences[0].relation is a number"),
        ("missing distribution", Model(Prefer("\"lower\": 0.5").Replace("\"distribution\": \"UniformCube\", ", "")), "has no 'distribution'"),
        ("unknown property", Model("", ",\n  \"extra\": 0"), "unknown property 'extra' in the file"),
        ("unknown preference property", Model(Prefer("\"lower\": 0.5, \"colour\": \"red\"")), "unknown property 'colour' in preferences[0]"),
        ("unknown shape property", Model(shape: Shape.Replace("\"inputs\": 3,", "\"inputs\": 3, \"bias\": true,")), "unknown property 'bias' in shape"),
        ("unknown layer property", Model(shape: Shape.Replace("\"width\": 2,", "\"width\": 2, \"dropout\": 0.5,")), "unknown property 'dropout' in shape.layers[0]"),
        ("unknown training property", Model("", ",\n  \"training\": { \"seed\": 1, \"optimizer\": \"Adam\" }"), "unknown property 'optimizer' in training"),
        ("training 5", Model("", ",\n  \"training\": 5"), "training is a number, expected an object"),
        ("negative seed", Model("", ",\n  \"training\": { \"seed\": -1 }"), "training.seed must be a whole number from 0"),
        ("seed as text", Model("", ",\n  \"training\": { \"seed\": \"7\" }"), "training.seed must be a whole number from 0"),
        ("epochs as a fraction", Model("", ",\n  \"training\": { \"epochs\": 2.5 }"), "training.epochs must be a whole number, not 2.5"),
        ("settings as a number", Model("", ",\n  \"training\": { \"settings\": 3 }"), "training.settings is a number, expected a string"),
        ("duplicate shape", Model(shape: Shape + ",\n  " + Shape.Replace("\"Tanh\" } ]", "\"Sigmoid\" } ]")), "the property 'shape' appears twice"),
        ("duplicate preference key", Model(Prefer("\"lower\": 0.5, \"target\": 0.1")), "the property 'target' appears twice"),
        ("format version 3", Model().Replace("\"formatVersion\": 1", "\"formatVersion\": 3"), "format version 3 was written by a newer GenBias"),
        ("format version 0", Model().Replace("\"formatVersion\": 1", "\"formatVersion\": 0"), "format version 0 is not supported (this GenBias reads versions 1 to 2)"),
        ("no format version", Model().Replace("\"formatVersion\": 1,", ""), "the file has no 'formatVersion'"),
        ("truncated", Model(Prefer("\"lower\": 0.5"))[..120], "the file ends inside"),
        ("a comment", Model().Replace("\"formatVersion\": 1,", "// trained on Tuesday\n  \"formatVersion\": 1,"), "line 2, position 3: expected a property name in double quotes"),
        ("a trailing comma", Model().Replace(" 0.1 ]", " 0.1, ]"), "unexpected character ']'"),
        ("a parameter as text", Model(parameters: Parameters.Replace("[ 0.5,", "[ \"NaN\",")), "parameters[0] (layer 0, neuron 0, weight of input 0) is a string, not a finite float"),
        ("a parameter beyond float", Model(parameters: Parameters.Replace("0.1 ]", "1e39 ]")), "parameters[10] (layer 1, bias of neuron 0) is 1e39, not a finite float"),
        ("a parameter missing", Model(parameters: Parameters.Replace(", 0.1 ]", " ]")), "10 parameters, but the shape 3 → Dense(2, Tanh) → Dense(1, Tanh) has 11"),
        ("too many inputs", Model(shape: Shape.Replace("\"inputs\": 3", "\"inputs\": 2000")), "shape.inputs is 2000; a network has 1 to 1024 inputs"),
        ("width 0", Model(shape: Shape.Replace("\"width\": 2", "\"width\": 0")), "shape.layers[0].width is 0; a layer has 1 to 256 neurons"),
        ("an array", "[1, 2]", "the file is an array, expected an object"),
    ];

    [Fact]
    public void Item3_the_generator_and_ModelFile_Load_give_the_same_verdict_on_every_file()
    {
        var source = new StringBuilder("using GenBias;\nnamespace Corpus;\n");
        var files = new List<InMemoryAdditionalText>();
        for (int i = 0; i < Corpus.Length; i++)
        {
            source.Append(CultureInfo.InvariantCulture, $"[TernaryNetwork(Model = \"case{i}.json\")] public partial class Case{i};\n");
            files.Add(new InMemoryAdditionalText($"/repo/corpus/case{i}.json", Corpus[i].Json));
        }

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.Run(source.ToString(), [.. files]);
        Assert.Null(result.Results.Single().Exception);
        var failures = new List<string>();
        int accepted = 0, refused = 0;
        for (int i = 0; i < Corpus.Length; i++)
        {
            (string name, string json, string? problem) = Corpus[i];
            string prefix = $"'Case{i}' cannot be compiled from its model file: /repo/corpus/case{i}.json, ";
            string? generator = result.Diagnostics.Where(d => d.Id == "GB0025")
                .Select(d => d.GetMessage(CultureInfo.InvariantCulture))
                .Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).Select(m => m[prefix.Length..]).SingleOrDefault();
            string? runtime = null;
            try
            {
                ModelFile.Read(Encoding.UTF8.GetBytes(json), "corpus");
            }
            catch (InvalidDataException e)
            {
                runtime = e.Message;
            }

            if (problem is null)
            {
                accepted++;
                if (generator is not null || runtime is not null)
                {
                    failures.Add($"{name}: expected both to accept; generator: {generator ?? "accepted"}; runtime: {runtime ?? "accepted"}");
                }

                continue;
            }

            refused++;
            if (generator is null || runtime is null || !generator.Contains(problem, StringComparison.Ordinal) || !runtime.Contains(problem, StringComparison.Ordinal))
            {
                failures.Add($"{name}: expected both to refuse with '{problem}'; generator: {generator ?? "accepted"}; runtime: {runtime ?? "accepted"}");
            }
            else if (runtime.Contains("line ", StringComparison.Ordinal) && !runtime.Contains(generator, StringComparison.Ordinal))
            {
                // Where both point into the file, they say the same thing at the same line and position.
                failures.Add($"{name}: the messages differ; generator: {generator}; runtime: {runtime}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(accepted >= 10 && refused >= 40, $"{accepted} accepted, {refused} refused");

        Assert.Empty(GeneratorHarness.WarningsAndErrors(output).Where(d => d.Id != "GB0025"));
    }

    [Fact]
    public void Item3_an_accepted_file_compiles_to_the_parameters_and_preferences_ModelFile_loads()
    {
        foreach ((string name, string json, _) in Corpus.Where(c => c.Problem is null))
        {
            System.Reflection.Assembly assembly = GeneratorHarness.CompileAndLoad(
                "using GenBias;\n[TernaryNetwork(Model = \"m.json\")] public partial class M;", new InMemoryAdditionalText("/p/m.json", json));
            Type type = assembly.GetType("M", throwOnError: true)!;
            var network = (ITernaryNetwork)Activator.CreateInstance(type)!;
            LoadedModel loaded = ModelFile.Read(Encoding.UTF8.GetBytes(json));
            Assert.Equal(loaded.Shape, network.Shape);
            Assert.Equal(loaded.Parameters, network.Parameters.ToArray());
            var compiled = (IReadOnlyList<Preference>)type.GetProperty("Preferences")!.GetValue(null)!;
            // Records compare arrays by reference: compare the probabilities by value and the rest as records.
            Assert.True(loaded.Preferences.Count == compiled.Count && loaded.Preferences.Zip(compiled).All(pair =>
                    pair.First with { InputProbabilities = null } == pair.Second with { InputProbabilities = null } &&
                    (pair.First.InputProbabilities ?? []).SequenceEqual(pair.Second.InputProbabilities ?? [])),
                $"{name}: {string.Join("; ", compiled)} vs {string.Join("; ", loaded.Preferences)}");
        }
    }

    /// <summary>
    /// Seeded mutations of valid files (a character deleted or inserted, a number, name or literal replaced, a member
    /// repeated, a name's case changed), each read by both readers: the verdicts agree, and so do the messages where
    /// both point into the file. GENBIAS_FUZZ_ITERATIONS multiplies the 400 mutations.
    /// </summary>
    [Fact]
    public void Item3_mutated_model_files_get_the_same_verdict_from_both_readers()
    {
        int rounds = int.TryParse(Environment.GetEnvironmentVariable("GENBIAS_FUZZ_ITERATIONS"), out int n) && n > 0 ? Math.Max(1, n / 30) : 1;
        string[] seeds = [.. Corpus.Where(c => c.Problem is null).Select(c => c.Json)];
        string[] replacements = ["0", "-1", "1", "2", "0.5", "1e39", "-0", "99", "3.5", "null", "true", "\"x\"", "[]", "{}", "\"Tanh\"", "\"tanh\"", "\"Product\"", "\"Calibration\"", "\"Projection\"", "\"TrainingData\"", "\"About\""];
        var failures = new List<string>();
        int accepted = 0, refused = 0;
        for (int round = 0; round < rounds; round++)
        {
            var random = new Random(2700 + round);
            var cases = new List<string>();
            for (int i = 0; i < 400; i++)
            {
                cases.Add(Mutate(seeds[random.Next(seeds.Length)], random, replacements));
            }

            var source = new StringBuilder("using GenBias;\nnamespace Mutated;\n");
            for (int i = 0; i < cases.Count; i++)
            {
                source.Append(CultureInfo.InvariantCulture, $"[TernaryNetwork(Model = \"m{i}.json\")] public partial class M{i};\n");
            }

            (GeneratorDriverRunResult result, _) = GeneratorHarness.Run(source.ToString(),
                [.. cases.Select((json, i) => new InMemoryAdditionalText($"/repo/m/m{i}.json", json))]);
            Assert.Null(result.Results.Single().Exception);
            var messages = result.Diagnostics.Where(d => d.Id == "GB0025").Select(d => d.GetMessage(CultureInfo.InvariantCulture)).ToList();
            for (int i = 0; i < cases.Count; i++)
            {
                string prefix = $"'M{i}' cannot be compiled from its model file: /repo/m/m{i}.json, ";
                string? generator = messages.Where(m => m.StartsWith(prefix, StringComparison.Ordinal)).Select(m => m[prefix.Length..]).SingleOrDefault();
                string? runtime = null;
                try
                {
                    ModelFile.Read(Encoding.UTF8.GetBytes(cases[i]), "mutated");
                }
                catch (InvalidDataException e)
                {
                    runtime = e.Message;
                }

                if ((generator is null) != (runtime is null) ||
                    (generator is not null && runtime!.Contains("line ", StringComparison.Ordinal) && !runtime.Contains(generator, StringComparison.Ordinal)))
                {
                    failures.Add($"seed {2700 + round}, case {i}: generator: {generator ?? "accepted"}; runtime: {runtime ?? "accepted"}\n{cases[i]}");
                }

                if (runtime is null)
                {
                    accepted++;
                }
                else
                {
                    refused++;
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(5)));
        Assert.True(accepted > 20 * rounds && refused > 200 * rounds, $"{accepted} accepted, {refused} refused");
    }

    private static string Mutate(string json, Random random, string[] replacements)
    {
        switch (random.Next(6))
        {
            case 0:
                int at = random.Next(json.Length);
                return json.Remove(at, 1);
            case 1:
                const string characters = "{}[],:\"-.e0 \uFEFF";
                return json.Insert(random.Next(json.Length), characters[random.Next(characters.Length)].ToString());
            case 2:
            case 3:
            {
                // A value after a colon or in an array replaced by another.
                List<int> starts = [.. Enumerable.Range(1, json.Length - 1).Where(k => (json[k - 1] == ' ' && (json[k - 2] == ':' || json[k - 2] == ',' || json[k - 2] == '[')) &&
                                                                                     (char.IsDigit(json[k]) || json[k] is '-' or '"' or 't' or 'f' or 'n'))];
                int start = starts[random.Next(starts.Count)];
                int end = start + 1;
                if (json[start] == '"')
                {
                    end = json.IndexOf('"', start + 1) + 1;
                }
                else
                {
                    while (end < json.Length && (char.IsLetterOrDigit(json[end]) || json[end] is '.' or '-' or '+'))
                    {
                        end++;
                    }
                }

                return json[..start] + replacements[random.Next(replacements.Length)] + json[end..];
            }

            case 4:
            {
                // A member of the preference or the training object repeated, or an unknown one added.
                string member = random.Next(3) == 0 ? "\"colour\": 1, " : new[] { "\"target\": 0.5, ", "\"layer\": 0, ", "\"lower\": null, ", "\"relation\": \"AtMost\", " }[random.Next(4)];
                int brace = json.LastIndexOf("{ \"", StringComparison.Ordinal);
                return brace < 0 ? json : json.Insert(brace + 2, member);
            }

            default:
            {
                // A name's case changed.
                string[] names = ["Tanh", "AtLeast", "UniformCube", "ProxyLagrangian", "Calibration", "Projection", "Product"];
                string name = names[random.Next(names.Length)];
                return json.Replace("\"" + name + "\"", "\"" + (random.Next(2) == 0 ? name.ToLowerInvariant() : name.ToUpperInvariant()) + "\"", StringComparison.Ordinal);
            }
        }
    }
}
