using System.Collections.Immutable;
using GenBias.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GenBias.Generators
{
    /// <summary>
    /// Turns <c>[TernaryNetwork]</c> + <c>[Dense]</c> partial classes into forward and backward code specialised to
    /// the declared shape.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class TernaryNetworkGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking names of the pipeline steps, for incrementality tests.</summary>
        public static class TrackingNames
        {
            public const string Extract = nameof(Extract);
            public const string Models = nameof(Models);
            public const string Diagnostics = nameof(Diagnostics);
            public const string OrphanDense = nameof(OrphanDense);
        }

        private const string NetworkAttribute = "GenBias.TernaryNetworkAttribute";
        private const string DenseAttribute = "GenBias.DenseAttribute";
        private const string PreferAttribute = "GenBias.PreferAttribute";

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            // Stage 1: every class carrying [TernaryNetwork], read into an equatable model plus diagnostics. The
            // model holds no symbols or syntax, so an unrelated edit compares equal and nothing downstream reruns.
            IncrementalValuesProvider<ExtractionResult> results = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    NetworkAttribute,
                    static (node, _) => node is ClassDeclarationSyntax,
                    static (ctx, ct) => Extract(ctx, ct))
                .WithTrackingName(TrackingNames.Extract);

            // Stage 2: the valid specs alone. Splitting them from the diagnostics means a diagnostics-only change
            // never regenerates source, and a source change never re-reports diagnostics.
            IncrementalValuesProvider<NetworkModel> models = results
                .Where(static r => r.Model != null)
                .Select(static (r, _) => r.Model!)
                .WithTrackingName(TrackingNames.Models);

            IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = results
                .Select(static (r, _) => r.Diagnostics)
                .Where(static d => d.Count > 0)
                .WithTrackingName(TrackingNames.Diagnostics);

            // Stage 3: [Dense] on a class that has no [TernaryNetwork] would otherwise be silently ignored.
            IncrementalValuesProvider<DiagnosticInfo> orphanDense = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    DenseAttribute,
                    static (node, _) => node is ClassDeclarationSyntax,
                    static (ctx, _) => CheckDenseHasNetwork(ctx))
                .Where(static d => d != null)
                .Select(static (d, _) => d!)
                .WithTrackingName(TrackingNames.OrphanDense);

            context.RegisterSourceOutput(models, static (spc, model) =>
                spc.AddSource(model.HintName, Emit(model)));
            context.RegisterSourceOutput(diagnostics, static (spc, list) =>
            {
                foreach (DiagnosticInfo info in list)
                {
                    spc.ReportDiagnostic(info.ToDiagnostic());
                }
            });
            context.RegisterSourceOutput(orphanDense, static (spc, info) => spc.ReportDiagnostic(info.ToDiagnostic()));
        }

        private static DiagnosticInfo? CheckDenseHasNetwork(GeneratorAttributeSyntaxContext ctx)
        {
            INamedTypeSymbol type = (INamedTypeSymbol)ctx.TargetSymbol;
            foreach (AttributeData attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() == NetworkAttribute)
                {
                    return null;
                }
            }

            // Report once, at the first [Dense] of the first declaration that has one.
            ImmutableArray<AttributeData> dense = ctx.Attributes;
            if (dense.Length == 0 || !IsFirstDenseDeclaration(type, ctx.TargetNode))
            {
                return null;
            }

            return DiagnosticInfo.Create(DiagnosticDescriptors.DenseWithoutNetwork,
                dense[0].ApplicationSyntaxReference?.GetSyntax().GetLocation(), type.Name);
        }

        private static bool IsFirstDenseDeclaration(INamedTypeSymbol type, SyntaxNode node)
        {
            foreach (AttributeData attribute in type.GetAttributes())
            {
                if (attribute.AttributeClass?.ToDisplayString() == DenseAttribute)
                {
                    SyntaxNode? syntax = attribute.ApplicationSyntaxReference?.GetSyntax();
                    return syntax != null && node.Contains(syntax);
                }
            }

            return false;
        }
    }
}
