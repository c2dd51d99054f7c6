using System;
using System.ComponentModel;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenBias.Tool;

internal sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<data.csv>")]
        [Description("Rows of -1/0/1 inputs and a label (the last column unless --label-column).")]
        public string Data { get; init; } = "";

        [CommandOption("--layers <LAYERS>")]
        [Description("Layers as width:activation, comma-separated, the last being the output (for example 16:tanh,1:tanh).")]
        public string Layers { get; init; } = "";

        [CommandOption("--prefer <PREFERENCE>")]
        [Description("A preference, for example \"output > 0.5 at-least 0.6\" or \"layer 0 all < 0 at-most 0.5\"; repeatable.")]
        public string[] Prefer { get; init; } = [];

        [CommandOption("--out <MODEL>")]
        [Description("Where to save the model (JSON).")]
        public string Out { get; init; } = "";

        [CommandOption("--epochs <N>")]
        [DefaultValue(40)]
        public int Epochs { get; init; } = 40;

        [CommandOption("--seed <N>")]
        [DefaultValue(1)]
        public int Seed { get; init; } = 1;

        [CommandOption("--threshold <VALUE>")]
        [Description("The output above which a row counts as positive (default 0.5, the seed's framing).")]
        [DefaultValue(0.5)]
        public double Threshold { get; init; } = 0.5;

        [CommandOption("--header")]
        [Description("The first line that is not blank is a header.")]
        public bool Header { get; init; }

        [CommandOption("--label-column <N>")]
        [DefaultValue(-1)]
        public int LabelColumn { get; init; } = -1;

        [CommandOption("--positive <LABEL>")]
        [Description("The label of the positive class (otherwise labels are 0/1 or exactly two names).")]
        public string? Positive { get; init; }

        public override ValidationResult Validate() =>
            Layers.Length == 0 ? ValidationResult.Error("--layers is required, for example --layers 16:tanh,1:tanh")
            : Out.Length == 0 ? ValidationResult.Error("--out is required: where to save the model")
            : Epochs < 1 ? ValidationResult.Error("--epochs must be at least 1")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        TernaryDataset data = TernaryDataset.FromCsv(settings.Data, new TextDataOptions
        {
            HasHeader = settings.Header, LabelColumn = settings.LabelColumn, PositiveLabel = settings.Positive,
        });
        NetworkShape shape = NetworkShape.Create(data.InputCount, [.. settings.Layers.Split(',').Select(ParseLayer)]);
        Preference[] preferences = [.. settings.Prefer.Select(PreferenceText.Parse)];
        var network = new ReferenceNetwork(shape);
        var options = new TrainerOptions
        {
            Epochs = settings.Epochs, Seed = (ulong)settings.Seed, Preferences = preferences, DecisionThreshold = (float)settings.Threshold,
        };
        TrainingReport report = null!;
        AnsiConsole.Progress().Start(progress =>
        {
            ProgressTask task = progress.AddTask($"training {shape}", maxValue: settings.Epochs);
            report = PreferenceTrainer.Train(network, data, options, new Progress<EpochReport>(_ => task.Increment(1)), cancellationToken);
        });
        ModelFile.Save(settings.Out, network, preferences, report.ToDocument(options));
        var table = new Table().AddColumns("", "value");
        table.AddRow("train accuracy", report.TrainAccuracy.ToString("P1", CultureInfo.InvariantCulture));
        table.AddRow("validation accuracy", double.IsNaN(report.ValidationAccuracy) ? "—" : report.ValidationAccuracy.ToString("P1", CultureInfo.InvariantCulture));
        foreach (PreferenceResult result in report.Preferences)
        {
            table.AddRow(Markup.Escape(result.Preference.ToString()), Markup.Escape($"{result.Rate}{(result.Met ? "; met" : "; NOT met")}"));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"saved [bold]{Markup.Escape(settings.Out)}[/]");
        return 0;
    }

    private static (int Width, Activation Activation) ParseLayer(string text)
    {
        string[] parts = text.Trim().Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int width))
        {
            throw new ArgumentException($"layer '{text}' is not width:activation (for example 16:tanh).");
        }

        string? name = Enum.GetNames<Activation>().FirstOrDefault(n => string.Equals(n, parts[1], StringComparison.OrdinalIgnoreCase));
        return name is null
            ? throw new ArgumentException($"layer '{text}': '{parts[1]}' is not one of {string.Join(", ", Enum.GetNames<Activation>())}.")
            : (width, Enum.Parse<Activation>(name));
    }
}

internal sealed class ModelSettings : CommandSettings
{
    [CommandArgument(0, "<model.json>")]
    public string Model { get; init; } = "";
}

internal sealed class CertifyCommand : Command<CertifyCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<model.json>")]
        public string Model { get; init; } = "";

        [CommandOption("--prefer <PREFERENCE>")]
        [Description("Certify this preference instead of the model's own.")]
        public string? Prefer { get; init; }

        [CommandOption("--budget <SECONDS>")]
        [Description("Count exactly if the projected time fits; otherwise estimate (labelled so).")]
        [DefaultValue(60)]
        public int Budget { get; init; } = 60;

        [CommandOption("--checkpoint")]
        [Description("Keep a resumable checkpoint beside the model while counting.")]
        public bool Checkpoint { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        (ReferenceNetwork network, LoadedModel model) = GenBiasTool.Load(settings.Model);
        Preference[] preferences = settings.Prefer is { } text ? [PreferenceText.Parse(text)] : [.. model.Preferences];
        if (preferences.Length == 0)
        {
            throw new ArgumentException($"{settings.Model} declares no preference; give one with --prefer \"output > 0.5 at-least 0.6\".");
        }

        var options = new CertifyOptions
        {
            ExactTimeBudget = TimeSpan.FromSeconds(settings.Budget),
            Count = new CountOptions { CheckpointPath = settings.Checkpoint ? settings.Model + ".count-checkpoint.json" : null },
        };
        Certificate last = null!;
        foreach (Preference preference in preferences)
        {
            last = Certifier.Certify(network, preference, options, cancellationToken: cancellationToken);
            AnsiConsole.WriteLine(last.ToString());
        }

        last.Save(Certificate.PathBeside(settings.Model));
        return last.Met ? 0 : 2;
    }
}

internal sealed class CalibrateCommand : Command<CalibrateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<model.json>")]
        public string Model { get; init; } = "";

        [CommandOption("--prefer <PREFERENCE>")]
        public string? Prefer { get; init; }

        [CommandOption("--out <MODEL>")]
        [Description("Where to save the calibrated model (default: over the input).")]
        public string? Out { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        (ReferenceNetwork network, LoadedModel model) = GenBiasTool.Load(settings.Model);
        Preference preference = settings.Prefer is { } text ? PreferenceText.Parse(text)
            : model.Preferences.FirstOrDefault() ?? throw new ArgumentException($"{settings.Model} declares no preference; give one with --prefer.");
        CalibrationResult result = ExactCalibration.Calibrate(network, preference, cancellationToken: cancellationToken);
        ModelFile.Save(settings.Out ?? settings.Model, network, model.Preferences.Count > 0 ? [.. model.Preferences] : [preference], model.Training);
        AnsiConsole.WriteLine($"output bias shifted by {result.BiasShift.ToString("G6", CultureInfo.InvariantCulture)}: {result.Count.Count:N0} of {result.Count.Total:N0} inputs");
        return 0;
    }
}

internal sealed class ExportCommand : Command<ExportCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<model.json>")]
        public string Model { get; init; } = "";

        [CommandOption("--onnx <FILE>")]
        public string Onnx { get; init; } = "";

        public override ValidationResult Validate() =>
            Onnx.Length == 0 ? ValidationResult.Error("--onnx is required: where to write the ONNX model") : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        (ReferenceNetwork network, _) = GenBiasTool.Load(settings.Model);
        OnnxExport.Save(settings.Onnx, network);
        AnsiConsole.WriteLine($"wrote {settings.Onnx} (opset {OnnxExport.Opset}, {network.Shape})");
        return 0;
    }
}

internal sealed class GenerateCommand : Command<GenerateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<model.json>")]
        public string Model { get; init; } = "";

        [CommandOption("--class <NAME>")]
        [DefaultValue("TrainedNetwork")]
        public string Class { get; init; } = "TrainedNetwork";

        [CommandOption("--namespace <NAME>")]
        public string? Namespace { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        (_, LoadedModel model) = GenBiasTool.Load(settings.Model);
        Console.Out.Write(Declaration(model, settings.Class, settings.Namespace));
        return 0;
    }

    /// <summary>The C# declaration of a model's network: attributes for the shape, the parameters loaded from the file.</summary>
    internal static string Declaration(LoadedModel model, string name, string? ns)
    {
        var text = new StringBuilder("// Generated by genbias from a model file: the shape as attributes; load the parameters with\n");
        text.Append("// ModelFile.LoadInto(path, new ").Append(name).Append("()).\nusing GenBias;\n\n");
        if (ns != null)
        {
            text.Append("namespace ").Append(ns).Append(";\n\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"[TernaryNetwork(Inputs = {model.Shape.InputCount})]\n");
        foreach (LayerShape layer in model.Shape.Layers)
        {
            text.Append(CultureInfo.InvariantCulture, $"[Dense({layer.Width}, Activation.{layer.Activation})]\n");
        }

        text.Append("public partial class ").Append(name).Append(";\n");
        return text.ToString();
    }
}

internal sealed class InfoCommand : Command<ModelSettings>
{
    public override int Execute(CommandContext context, ModelSettings settings, CancellationToken cancellationToken)
    {
        (ReferenceNetwork network, LoadedModel model) = GenBiasTool.Load(settings.Model);
        var table = new Table().AddColumns("", "value");
        table.AddRow("shape", Markup.Escape(model.Shape.ToString()));
        table.AddRow("parameters", model.Shape.ParameterCount.ToString("N0", CultureInfo.InvariantCulture));
        table.AddRow("network hash", CoverageCounter.NetworkHash(network));
        table.AddRow("first layer on the exact grid", FixedPointGrid.IsFirstLayerOnGrid(model.Shape, model.Parameters) ? "yes (exact counts possible)" : "no");
        foreach (Preference preference in model.Preferences)
        {
            table.AddRow("preference", Markup.Escape(preference.ToString()));
        }

        if (model.Training is { } training)
        {
            table.AddRow("training", Markup.Escape($"seed {training.Seed}, {training.Epochs} epochs, selected {training.SelectedEpoch}, train accuracy {training.TrainAccuracy:P1}"));
        }

        AnsiConsole.Write(table);
        return 0;
    }
}

/// <summary>Preferences as text: "output &gt; 0.5 at-least 0.6", "layer 0 neuron 3 &lt; 0 at-most 0.2", "layer 0 all &gt; 0 about 0.5 ± 0.05".</summary>
internal static class PreferenceText
{
    public static Preference Parse(string text)
    {
        string[] words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int at = 0;
        int layer = -1;
        int? neuron = 0;
        string Next(string what) => at < words.Length ? words[at++] : throw Error(text, $"expected {what}");
        double Number(string what) => double.TryParse(Next(what), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : throw Error(text, $"{what} is not a number");
        string who = Next("'output' or 'layer N'");
        if (who == "layer")
        {
            layer = (int)Number("the layer");
            if (at < words.Length && words[at] == "all")
            {
                neuron = null;
                at++;
            }
            else if (at < words.Length && words[at] == "neuron")
            {
                at++;
                neuron = (int)Number("the neuron");
            }
        }
        else if (who != "output")
        {
            throw Error(text, $"'{who}' is neither 'output' nor 'layer N'");
        }

        ActivationInterval interval = Next("'>', '<' or 'in'") switch
        {
            ">" => ActivationInterval.Above(Number("the threshold")),
            "<" => ActivationInterval.Below(Number("the threshold")),
            "in" => ActivationInterval.Between(Number("the lower end"), Number("the upper end")),
            string other => throw Error(text, $"'{other}' is not '>', '<' or 'in'"),
        };
        PreferenceRelation relation = Next("'at-least', 'at-most' or 'about'") switch
        {
            "at-least" => PreferenceRelation.AtLeast,
            "at-most" => PreferenceRelation.AtMost,
            "about" => PreferenceRelation.About,
            string other => throw Error(text, $"'{other}' is not 'at-least', 'at-most' or 'about'"),
        };
        double target = Number("the fraction");
        double tolerance = 0.01;
        if (at < words.Length && words[at] is "±" or "+-")
        {
            at++;
            tolerance = Number("the tolerance");
        }

        if (at < words.Length)
        {
            throw Error(text, $"unexpected '{words[at]}'");
        }

        return new Preference { Layer = layer, Neuron = neuron, Interval = interval, Relation = relation, Target = target, Tolerance = tolerance };
    }

    private static ArgumentException Error(string text, string problem) =>
        new($"preference \"{text}\": {problem} (write for example \"output > 0.5 at-least 0.6\").");
}
