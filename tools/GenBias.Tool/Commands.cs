using System;
using System.Collections.Generic;
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
            : Seed < 0 ? ValidationResult.Error("--seed must be 0 or more")
            : !double.IsFinite(Threshold) ? ValidationResult.Error("--threshold must be a finite number")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        GenBiasTool.CheckOutput(settings.Out, "--out");
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
        [Description("Certify this preference instead of the model's own (which are all certified otherwise).")]
        public string? Prefer { get; init; }

        [CommandOption("--budget <SECONDS>")]
        [Description("Count exactly if the projected time fits; otherwise estimate (labelled so). Per preference; 0 or more.")]
        [DefaultValue(60)]
        public int Budget { get; init; } = 60;

        [CommandOption("--checkpoint")]
        [Description("Keep a resumable checkpoint beside the model while counting (one per preference).")]
        public bool Checkpoint { get; init; }

        public override ValidationResult Validate() =>
            Budget < 0 ? ValidationResult.Error($"--budget must be 0 or more seconds, not {Budget}")
            : Prefer is { Length: 0 } ? ValidationResult.Error("--prefer needs a preference, for example \"output > 0.5 at-least 0.6\"")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        (ReferenceNetwork network, LoadedModel model) = GenBiasTool.Load(settings.Model);
        Preference[] preferences = settings.Prefer is { } text ? [PreferenceText.Parse(text)] : [.. model.Preferences];
        if (preferences.Length == 0)
        {
            throw new ArgumentException($"{settings.Model} declares no preference; give one with --prefer \"output > 0.5 at-least 0.6\".");
        }

        // Every preference is certified on its own and gets its own certificate (and checkpoint): the first in
        // model.certificate.json, the k-th (k ≥ 2) in model.certificate.k.json. Exit 2 if any is not met.
        var notMet = new List<Preference>();
        for (int k = 0; k < preferences.Length; k++)
        {
            var options = new CertifyOptions
            {
                ExactTimeBudget = TimeSpan.FromSeconds(settings.Budget),
                Count = new CountOptions { CheckpointPath = settings.Checkpoint ? Numbered(settings.Model + ".count-checkpoint.json", k) : null },
            };
            Certificate certificate = Certifier.Certify(network, preferences[k], options, cancellationToken: cancellationToken);
            string path = CertificatePath(settings.Model, k);
            certificate.Save(path);
            if (!certificate.Met)
            {
                notMet.Add(preferences[k]);
            }

            AnsiConsole.WriteLine(certificate.ToString());
            AnsiConsole.WriteLine($"  saved {path}");
        }

        AnsiConsole.WriteLine(notMet.Count == 0
            ? $"{preferences.Length} of {preferences.Length} preference{(preferences.Length == 1 ? "" : "s")} met."
            : $"{preferences.Length - notMet.Count} of {preferences.Length} met; NOT met: {string.Join("; ", notMet)}.");
        return notMet.Count == 0 ? 0 : 2;
    }

    /// <summary>Where the certificate of the model's <paramref name="index"/>-th preference (from 0) is saved.</summary>
    internal static string CertificatePath(string model, int index) => Numbered(Certificate.PathBeside(model), index);

    /// <summary>file.json for index 0, file.2.json for index 1, and so on.</summary>
    private static string Numbered(string path, int index) =>
        index == 0 ? path : Path.ChangeExtension(path, $"{index + 1}{Path.GetExtension(path)}");
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
        GenBiasTool.CheckOutput(settings.Out ?? settings.Model, "--out");
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
        GenBiasTool.CheckOutput(settings.Onnx, "--onnx");
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
        [Description("The class name: a C# identifier (a keyword needs @, as in @event).")]
        [DefaultValue("TrainedNetwork")]
        public string Class { get; init; } = "TrainedNetwork";

        [CommandOption("--namespace <NAME>")]
        [Description("The namespace: C# identifiers joined by dots (App.Models).")]
        public string? Namespace { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string name = CSharpNames.ClassName(settings.Class);
        string? ns = settings.Namespace is { } given ? CSharpNames.Namespace(given) : null;
        (_, LoadedModel model) = GenBiasTool.Load(settings.Model);
        Console.Out.Write(Declaration(model, name, ns));
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
