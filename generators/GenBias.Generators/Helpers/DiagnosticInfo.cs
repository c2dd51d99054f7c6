using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace GenBias.Generators.Helpers
{
    /// <summary>A location without a reference to the syntax tree, so models that carry it stay equatable and cheap.</summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        public static LocationInfo? From(Location? location) =>
            location is null || location.SourceTree is null
                ? null
                : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);

        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);
    }

    /// <summary>A diagnostic to report, as equatable data: the descriptor's id, where, and the message arguments.</summary>
    internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments) =>
            new DiagnosticInfo(descriptor.Id, LocationInfo.From(location), new EquatableArray<string>(arguments));

        public Diagnostic ToDiagnostic() =>
            Diagnostic.Create(DiagnosticDescriptors.ById(Id), Location?.ToLocation(), System.Linq.Enumerable.ToArray(System.Linq.Enumerable.Cast<object>(Arguments)));
    }
}
