using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Threading;
using Spectre.Console;
using Spectre.Console.Cli;

namespace GenBias.Tool;

/// <summary>
/// The <c>genbias</c> command line: train from CSV, certify, calibrate, export to ONNX, print a model's C# declaration
/// and describe it. Any shape runs through <see cref="ReferenceNetwork"/>, which has the bits of generated code.
/// Exit codes, the same for every command: <see cref="Success"/> (0), <see cref="Mistake"/> (1: one line on standard
/// error) and <see cref="NotMet"/> (2: a preference is not met); <c>--help</c> works on every command.
/// </summary>
public static class GenBiasTool
{
    /// <summary>Exit code: the command did what was asked, and every preference it checked is met.</summary>
    public const int Success = 0;

    /// <summary>Exit code: a mistake (bad option, file or value); one line on standard error, nothing written.</summary>
    public const int Mistake = 1;

    /// <summary>Exit code: the command ran and saved its result, but a preference is not met.</summary>
    public const int NotMet = 2;

    /// <summary>The exit codes, as the help of every command states them.</summary>
    internal const string ExitCodes = "Exit code 0: done (every preference met); 1: a mistake, one line on standard error; 2: a preference not met (the result is still saved).";

    private static readonly AsyncLocal<IAnsiConsole?> CurrentConsole = new();

    /// <summary>The console the running command writes to.</summary>
    internal static IAnsiConsole Ui => CurrentConsole.Value ?? AnsiConsole.Console;

    /// <summary>The version of the tool (the package's).</summary>
    internal static string Version =>
        typeof(GenBiasTool).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(GenBiasTool).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The mistake in a command line's options (an option the command does not declare, a missing value), or null.</summary>
    internal static string? Check(string[] args) =>
        args.Length == 0 ? "no command"
        : !SettingsOf.TryGetValue(args[0], out Type? settings) ? $"'{args[0]}' is not a command"
        : OptionCheck.FirstUnknown(args[0], settings, args[1..]);

    /// <summary>Runs the tool; returns the exit code.</summary>
    public static int Run(string[] args, IAnsiConsole? console = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length > 0 && SettingsOf.TryGetValue(args[0], out Type? settings) &&
            OptionCheck.FirstUnknown(args[0], settings, args[1..]) is { } unknown)
        {
            Console.Error.WriteLine($"genbias {unknown}");
            return Mistake;
        }

        console ??= DefaultConsole();
        CurrentConsole.Value = console;
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("genbias");
            config.SetApplicationVersion(Version);
            config.UseStrictParsing();
            config.ConfigureConsole(console);

            // Examples are printed as typed in a shell: a value with spaces or '>' is quoted, or pasting it would
            // redirect the output into a file named 0.5.
            config.AddCommand<TrainCommand>("train")
                .WithDescription("Train a network from a CSV file, with optional activation preferences, and save the model. " + ExitCodes)
                .WithExample("train", "data.csv", "--header", "--positive", "yes", "--layers", "16:tanh,1:tanh", "--prefer", "\"output > 0.5 at-least 0.6\"", "--out", "model.json");
            config.AddCommand<CertifyCommand>("certify")
                .WithDescription("Count (or estimate) how many of the 3^n inputs meet each of the model's preferences. " +
                                 "Each preference's certificate is saved beside the model: the first in model.certificate.json, the k-th in model.certificate.k.json. " + ExitCodes)
                .WithExample("certify", "model.json", "--budget", "60");
            config.AddCommand<CalibrateCommand>("calibrate")
                .WithDescription("Shift the output bias by the least amount that meets an output preference: exactly when the projected time fits --budget, " +
                                 "otherwise from samples (labelled an estimate); save the model. " + ExitCodes)
                .WithExample("calibrate", "model.json", "--prefer", "\"output > 0.5 at-least 0.7\"", "--out", "calibrated.json");
            config.AddCommand<ExportCommand>("export").WithDescription("Write the model as ONNX (opset 17). " + ExitCodes)
                .WithExample("export", "model.json", "--onnx", "model.onnx");
            config.AddCommand<GenerateCommand>("generate").WithDescription("Print the C# declaration of the model's network. " + ExitCodes)
                .WithExample("generate", "model.json", "--class", "Trained", "--namespace", "App");
            config.AddCommand<InfoCommand>("info").WithDescription("Describe a model file. " + ExitCodes)
                .WithExample("info", "model.json");
            config.AddExample("train", "data.csv", "--header", "--positive", "yes", "--layers", "16:tanh,1:tanh", "--prefer", "\"output > 0.5 at-least 0.6\"", "--out", "model.json");
            config.AddExample("certify", "model.json", "--budget", "60");
            config.SetExceptionHandler((exception, _) =>
            {
                Exception shown = exception is CommandRuntimeException { InnerException: { } inner } ? inner : exception;
                Console.Error.WriteLine($"genbias: {MessageOf(shown)}");
                return Mistake;
            });
        });
        return app.Run(args);
    }

    /// <summary>
    /// An exception's message as a user reads it: without the "(Parameter 'Target')" that .NET appends to an
    /// <see cref="ArgumentException"/> naming a library property (the message itself says what is wrong).
    /// </summary>
    internal static string MessageOf(Exception e) =>
        e is ArgumentException { ParamName: { } name } && e.Message.EndsWith($" (Parameter '{name}')", StringComparison.Ordinal)
            ? e.Message[..^$" (Parameter '{name}')".Length]
            : e.Message;

    /// <summary>Each command's settings, whose declared options are the only ones it accepts.</summary>
    private static readonly Dictionary<string, Type> SettingsOf = new(StringComparer.Ordinal)
    {
        ["train"] = typeof(TrainCommand.Settings),
        ["certify"] = typeof(CertifyCommand.Settings),
        ["calibrate"] = typeof(CalibrateCommand.Settings),
        ["export"] = typeof(ExportCommand.Settings),
        ["generate"] = typeof(GenerateCommand.Settings),
        ["info"] = typeof(ModelSettings),
    };

    /// <summary>
    /// The console on standard output: when the output is redirected to a file or a pipe, lines are never wrapped (a
    /// number split over two lines cannot be read back) and progress is not drawn.
    /// </summary>
    private static IAnsiConsole DefaultConsole()
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Out) });
        if (Console.IsOutputRedirected)
        {
            console.Profile.Width = 320;
            console.Profile.Capabilities.Interactive = false;
        }

        return console;
    }

    /// <summary>
    /// Runs <paramref name="work"/> under a progress bar with the percentage and the time left (on a terminal; on
    /// redirected output, one line when it starts and one when it ends).
    /// </summary>
    internal static void WithProgress(string description, Action<ProgressTask> work, double maxValue = 1)
    {
        IAnsiConsole ui = Ui;
        if (!ui.Profile.Capabilities.Interactive)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            ui.WriteLine($"{description} …");
            var task = new ProgressTask(0, description, maxValue, autoStart: true);
            work(task);
            ui.WriteLine($"{description}: done in {Duration(clock.Elapsed.TotalSeconds)}");
            return;
        }

        ui.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                ProgressTask task = context.AddTask(description, maxValue: maxValue);
                work(task);
                task.Value = task.MaxValue;
            });
    }

    /// <summary>Progress of a count or calibration, shown on <paramref name="task"/> (reported synchronously, so the bar ends where the work ends).</summary>
    internal static IProgress<CountProgress> CountReporter(ProgressTask task) => new Reporter<CountProgress>(p =>
    {
        task.MaxValue = Math.Max(1, p.SubCubesTotal);
        task.Value = p.SubCubesDone;
    });

    /// <summary>Progress as a fraction (0 to 1), shown on <paramref name="task"/> between <paramref name="from"/> and <paramref name="to"/> of its maximum.</summary>
    internal static IProgress<double> FractionReporter(ProgressTask task, double from, double to) =>
        new Reporter<double>(f => task.Value = task.MaxValue * (from + ((to - from) * f)));

    /// <summary>Seconds as people read them: 45 s, 12 min, 3.5 h.</summary>
    internal static string Duration(double seconds) => seconds switch
    {
        < 90 => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.#} s"),
        < 5400 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:0.#} min"),
        < 172_800 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:0.#} h"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds / 86400:N0} days"),
    };

    /// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread, in order (System.Progress posts later).</summary>
    private sealed class Reporter<T>(Action<T> report) : IProgress<T>
    {
        private readonly object _gate = new();

        public void Report(T value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }

    /// <summary>Loads a model into a reference network of its shape.</summary>
    internal static (ReferenceNetwork Network, LoadedModel Model) Load(string path)
    {
        if (Directory.Exists(path))
        {
            throw new ArgumentException($"{path} is a directory, not a model file.");
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path} does not exist.", path);
        }

        LoadedModel model = ModelFile.Load(path);
        return (new ReferenceNetwork(model.Shape, model.Parameters), model);
    }

    /// <summary>
    /// Throws unless <paramref name="path"/> can be written by the command: it is not a directory and its folder exists
    /// (a missing folder is refused rather than created, so a typo in a path is noticed before any work is done).
    /// </summary>
    internal static void CheckOutput(string path, string option)
    {
        if (Directory.Exists(path))
        {
            throw new ArgumentException($"{option} {path} is a directory; give a file name.");
        }

        string folder = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        if (!Directory.Exists(folder))
        {
            throw new ArgumentException(File.Exists(folder)
                ? $"{option} {path}: {folder} is a file, not a folder."
                : $"{option} {path}: the folder {folder} does not exist; create it first.");
        }

        if (File.Exists(path) && File.GetAttributes(path).HasFlag(FileAttributes.ReadOnly))
        {
            throw new ArgumentException($"{option} {path} is read-only; give another file or make it writable.");
        }

        // Files are written atomically (a temporary file beside the target, then moved over it): the folder must take
        // a new file. Tried now, before any work, so that a long run is not lost at the end.
        string probe = Path.Combine(folder, $".genbias-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new ArgumentException($"{option} {path}: cannot write in {folder} ({e.GetType().Name}); give a file in a folder you can write to.");
        }
    }

    /// <summary>Runs <paramref name="save"/> on <paramref name="path"/>; a failure names the user's file, not a temporary one.</summary>
    internal static void Save(string path, Action<string> save)
    {
        try
        {
            save(path);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new IOException($"cannot write {path}: {e.GetType().Name} ({Path.GetDirectoryName(Path.GetFullPath(path))} may not be writable, or the disk full).", e);
        }
    }
}
