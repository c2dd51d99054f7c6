using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using Spectre.Console.Cli;

namespace GenBias.Tool;

/// <summary>
/// Refuses options a command does not declare, naming the option and the closest one it does declare: a misspelt
/// option (<c>--prefr</c>, <c>--epocs</c>) must never be ignored, or the command runs with its default instead.
/// </summary>
internal static class OptionCheck
{
    /// <summary>The options every command takes (Spectre's help).</summary>
    private static readonly string[] Builtin = ["--help", "-h", "-?"];

    /// <summary>The error for the first option in <paramref name="args"/> that the command's settings do not declare, or null.</summary>
    /// <param name="command">The command's name, as typed.</param>
    /// <param name="settings">The command's settings type.</param>
    /// <param name="args">The arguments after the command's name.</param>
    public static string? FirstUnknown(string command, Type settings, IReadOnlyList<string> args)
    {
        Dictionary<string, bool> known = Declared(settings);   // option → whether it takes a value
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                return null;
            }

            if (!IsOption(arg))
            {
                continue;
            }

            int end = arg.IndexOfAny(['=', ':'], 1);
            string name = end < 0 ? arg : arg[..end];
            bool declared = known.TryGetValue(name, out bool takesValue);
            if (!declared && !Builtin.Contains(name))
            {
                string[] names = [.. known.Keys.Where(n => n.StartsWith("--", StringComparison.Ordinal)), "--help"];
                string closest = names.MinBy(n => Distance(n, name))!;
                string suggestion = Distance(closest, name) <= Math.Max(2, name.Length / 2) ? $"; did you mean '{closest}'?" : ".";
                return $"{command}: unknown option '{name}'{suggestion} ({command} takes {Join(names)}.)";
            }

            if (takesValue && end < 0)
            {
                // The option's value, which may itself begin with '-'; a missing value is refused here because the
                // parser would otherwise give the option a value of its own making.
                if (i + 1 >= args.Count || known.ContainsKey(args[i + 1]))
                {
                    return $"{command}: option '{name}' needs a value.";
                }

                i++;
            }
        }

        return null;
    }

    /// <summary>Whether an argument is an option rather than a value: "-5" and "-0.5" are numbers.</summary>
    private static bool IsOption(string arg) =>
        arg.Length > 1 && arg[0] == '-' && !char.IsDigit(arg[1]) && arg[1] != '.';

    private static Dictionary<string, bool> Declared(Type settings)
    {
        var names = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (PropertyInfo property in settings.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<CommandOptionAttribute>() is { } option)
            {
                bool takesValue = property.PropertyType != typeof(bool);
                foreach (string name in option.LongNames.Select(n => "--" + n).Concat(option.ShortNames.Select(n => "-" + n)))
                {
                    names[name] = takesValue;
                }
            }
        }

        return names;
    }

    private static string Join(IReadOnlyList<string> names) =>
        names.Count == 1 ? names[0] : string.Join(", ", names.Take(names.Count - 1)) + " and " + names[^1];

    /// <summary>The Levenshtein distance: insertions, deletions and substitutions.</summary>
    internal static int Distance(string a, string b)
    {
        int[] previous = [.. Enumerable.Range(0, b.Length + 1)];
        int[] current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitute, Math.Min(previous[j], current[j - 1]) + 1);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
