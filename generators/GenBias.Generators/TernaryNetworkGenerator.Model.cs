using System.Collections.Generic;
using System.Linq;
using System.Threading;
using GenBias.Generators.Helpers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GenBias.Generators
{
    /// <summary>One dense layer of a spec.</summary>
    internal sealed record LayerModel(int Index, int InputCount, int Width, string Activation);

    /// <summary>One [Prefer]: the neuron (-1 for every neuron of the layer), the interval, the relation and its fraction.</summary>
    internal sealed record PreferenceModel(
        int Layer, int Neuron, double Lower, double Upper, string Relation, double Target, double Tolerance, string Distribution, string Method)
    {
        public bool LowerInclusive { get; init; }

        public bool UpperInclusive { get; init; }

        /// <summary>A product distribution's input probabilities (from a model file; attributes cannot hold them).</summary>
        public EquatableArray<double> Probabilities { get; init; } = EquatableArray<double>.Empty;
    }

    /// <summary>Everything the emitter needs, as equatable primitives: no symbols, no syntax, no locations.</summary>
    internal sealed record NetworkModel(
        string? Namespace,
        string TypeName,
        string TypeKeyword,
        EquatableArray<string> ContainingTypes,
        int Inputs,
        EquatableArray<LayerModel> Layers,
        EquatableArray<PreferenceModel> Preferences,
        string HintName)
    {
        /// <summary>The type's name with its namespace and containing types, without '@' (for hint names).</summary>
        public string FullName { get; init; } = TypeName;

        /// <summary>The model file the parameters are compiled in from (as written in the attribute), or null.</summary>
        public string? ModelFile { get; init; }

        /// <summary>The compiled-in parameters' float bits, canonical layout; empty without a model file.</summary>
        public EquatableArray<int> ParameterBits { get; init; } = EquatableArray<int>.Empty;
    }

    /// <summary>
    /// A network whose model file still has to be read: the declared spec (layers empty when the file alone gives
    /// the shape), the file name, and where to report problems with it.
    /// </summary>
    internal sealed record PendingModel(NetworkModel Declared, string ModelFile, LocationInfo? Where, bool HasPrefer);

    /// <summary>What the extraction step returns for one class: a model when the spec is valid, and diagnostics.</summary>
    internal sealed record ExtractionResult(NetworkModel? Model, EquatableArray<DiagnosticInfo> Diagnostics, PendingModel? Pending = null);

    public sealed partial class TernaryNetworkGenerator
    {
        /// <summary>
        /// The oldest C# the generated code compiles with: it sets the init-only properties of Preference and uses
        /// target-typed new (C# 9). A test compiles every form of generated code at this version.
        /// </summary>
        internal const LanguageVersion MinimumLanguageVersion = LanguageVersion.CSharp9;

        /// <summary>The members of GenBias.Activation, by value (the runtime enum is the source of truth; a test checks they agree).</summary>
        internal static readonly string[] ActivationNames = { "Tanh", "HardTanh", "Sigmoid", "ReLU", "Linear", "TernaryStep" };

        private static ExtractionResult ExtractCore(GeneratorAttributeSyntaxContext ctx, CancellationToken cancellationToken)
        {
            var type = (INamedTypeSymbol)ctx.TargetSymbol;
            var node = (TypeDeclarationSyntax)ctx.TargetNode;
            var diagnostics = new List<DiagnosticInfo>();

            // Duplicates: the first [TernaryNetwork] of the class (over all its parts) is the spec; the others are
            // errors. ForAttributeWithMetadataName runs once per declaration that carries the attribute, and each run
            // sees every matching attribute of the class, so only the run that owns the first one reports.
            List<AttributeData> allNetworks = type.GetAttributes()
                .Where(a => a.AttributeClass?.ToDisplayString() == NetworkAttribute).ToList();
            SyntaxNode? firstSyntax = allNetworks.FirstOrDefault()?.ApplicationSyntaxReference?.GetSyntax(cancellationToken);
            if (firstSyntax == null || !node.Contains(firstSyntax))
            {
                return new ExtractionResult(null, EquatableArray<DiagnosticInfo>.Empty);
            }

            AttributeData network = allNetworks[0];
            Location? networkLocation = firstSyntax.GetLocation();
            if (node.SyntaxTree.Options is CSharpParseOptions parse && parse.LanguageVersion < MinimumLanguageVersion)
            {
                // Generated code would fail inside the generated file; say what to change where the network is declared.
                return new ExtractionResult(null, new EquatableArray<DiagnosticInfo>(new[]
                {
                    DiagnosticInfo.Create(DiagnosticDescriptors.LanguageVersionTooLow, networkLocation, type.Name,
                        parse.LanguageVersion.ToDisplayString(), MinimumLanguageVersion.ToDisplayString()),
                }));
            }

            foreach (AttributeData extra in allNetworks.Skip(1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateNetwork,
                    extra.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation(), type.Name));
            }

            if (!node.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, networkLocation, type.Name));
            }

            if (type.IsStatic)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.StaticClass, networkLocation, type.Name));
            }

            if (type.TypeKind != TypeKind.Class)
            {
                string kind = type.TypeKind == TypeKind.Interface ? "an interface" : type.IsRecord ? "a record struct" : "a struct";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotAClass, networkLocation, type.Name, kind));
            }

            if (type.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.FileKeyword)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FileLocal, networkLocation, type.Name));
            }

            for (INamedTypeSymbol? baseType = type.BaseType; baseType != null; baseType = baseType.BaseType)
            {
                if (baseType.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == NetworkAttribute) ||
                    baseType.AllInterfaces.Any(i => i.ToDisplayString() == "GenBias.ITernaryNetwork"))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DerivedNetwork, networkLocation, type.Name, baseType.Name));
                    break;
                }
            }

            // [Dense] on two partial declarations: their order would be the order in which the compiler sees files.
            List<SyntaxNode> denseSyntax = type.GetAttributes()
                .Where(a => a.AttributeClass?.ToDisplayString() == DenseAttribute)
                .Select(a => a.ApplicationSyntaxReference?.GetSyntax(cancellationToken))
                .Where(n => n != null).Select(n => n!).ToList();
            List<TypeDeclarationSyntax?> denseOwners = denseSyntax.Select(n => n.FirstAncestorOrSelf<TypeDeclarationSyntax>()).Distinct().ToList();
            if (denseOwners.Count > 1)
            {
                SyntaxNode second = denseSyntax.First(n => n.FirstAncestorOrSelf<TypeDeclarationSyntax>() != denseOwners[0]);
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DenseOnSeveralDeclarations, second.GetLocation(), type.Name));
            }

            if (type.TypeParameters.Length > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Generic, networkLocation, type.Name));
            }

            var containing = new List<string>();
            for (INamedTypeSymbol? outer = type.ContainingType; outer != null; outer = outer.ContainingType)
            {
                bool partial = outer.DeclaringSyntaxReferences.All(r =>
                    r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!partial)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContainingTypeNotPartial, networkLocation, type.Name, outer.Name));
                }

                containing.Insert(0, "partial " + Keyword(outer) + " " + GeneratedText.Identifier(outer.Name) +
                    (outer.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", outer.TypeParameters.Select(t => GeneratedText.Identifier(t.Name))) + ">"));
            }

            int inputs = 0;
            string? modelFile = null;
            foreach (KeyValuePair<string, TypedConstant> named in network.NamedArguments)
            {
                if (named.Key == "Inputs" && named.Value.Value is int value)
                {
                    inputs = value;
                }
                else if (named.Key == "Model" && named.Value.Value is string file && file.Trim().Length > 0)
                {
                    modelFile = file.Trim();
                }
                else if (named.Key == "Model" && named.Value.Value is string blank)
                {
                    // An empty name is a model file that cannot be found, not a network without layers.
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelFileMissing,
                        NamedArgumentLocation(network, "Model", cancellationToken) ?? networkLocation, type.Name, blank,
                        " (the name is empty: give the model file's path)"));
                    return new ExtractionResult(null, new EquatableArray<DiagnosticInfo>(diagnostics));
                }
            }

            bool hasDense = type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == DenseAttribute);
            // With a model file the shape may come from the file alone: Inputs and [Dense] are then optional.
            bool shapeFromFile = modelFile != null && !hasDense;
            if (!(shapeFromFile && inputs == 0) && (inputs < 1 || inputs > ShapeRules.MaxInputs))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InputsOutOfRange,
                    NamedArgumentLocation(network, "Inputs", cancellationToken) ?? networkLocation,
                    type.Name, inputs.ToString(), ShapeRules.MaxInputs.ToString()));
            }

            var layers = new List<LayerModel>();
            bool layersBound = true;
            int layerInputs = inputs;
            foreach (AttributeData dense in type.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() == DenseAttribute))
            {
                cancellationToken.ThrowIfCancellationRequested();
                int index = layers.Count;
                if (dense.ConstructorArguments.Length != 2 ||
                    !(dense.ConstructorArguments[0].Value is int width) ||
                    !(dense.ConstructorArguments[1].Value is int activation))
                {
                    // The compiler already reports the malformed attribute; generating from a guess would add noise.
                    layersBound = false;
                    continue;
                }

                if (index == ShapeRules.MaxLayers)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TooManyLayers,
                        dense.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation(),
                        type.Name, type.GetAttributes().Count(a => a.AttributeClass?.ToDisplayString() == DenseAttribute).ToString(),
                        ShapeRules.MaxLayers.ToString()));
                }

                if (width < 1 || width > ShapeRules.MaxWidth)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WidthOutOfRange,
                        PositionalArgumentLocation(dense, 0, cancellationToken),
                        index.ToString(), type.Name, width.ToString(), ShapeRules.MaxWidth.ToString()));
                }

                if (activation < 0 || activation >= ActivationNames.Length)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UndefinedActivation,
                        PositionalArgumentLocation(dense, 1, cancellationToken),
                        index.ToString(), type.Name, activation.ToString()));
                }

                string name = activation >= 0 && activation < ActivationNames.Length ? ActivationNames[activation] : "";
                layers.Add(new LayerModel(index, layerInputs, width, name));
                layerInputs = width;
            }

            if (layers.Count == 0 && layersBound && modelFile == null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoLayers, networkLocation, type.Name));
            }

            // A member of the user's own with a name the generated code declares would collide inside the generated
            // file, and so would the class's own name (a member cannot have the name of its class, CS0542).
            IReadOnlyCollection<string> reserved = ReservedNames(layers.Count, modelFile != null);
            const string generates = "the members of ITernaryNetwork, the layout constants, Shape, Preferences, Path, and private helpers such as _parameters and Run";
            if (reserved.Contains(type.Name))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReservedMemberName, networkLocation,
                    $"The network class '{type.Name}'", " for a member, and a member cannot have the name of its class", generates));
            }

            if (modelFile != null)
            {
                foreach (IMethodSymbol constructor in type.InstanceConstructors)
                {
                    if (!constructor.IsImplicitlyDeclared && constructor.Parameters.Length == 0 && constructor.Locations.FirstOrDefault(l => l.IsInSource) is { } at)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelConstructor, at, type.Name));
                    }
                }
            }

            foreach (ISymbol member in type.GetMembers())
            {
                if (!member.IsImplicitlyDeclared && reserved.Contains(member.Name) && member.Locations.FirstOrDefault(l => l.IsInSource) is { } where)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ReservedMemberName, where, $"'{type.Name}.{member.Name}'", "", generates));
                }
            }

            var preferences = new List<PreferenceModel>();
            bool hasPrefer = type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == PreferAttribute);
            if (shapeFromFile && hasPrefer)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ModelPreferWithoutDense, networkLocation, type.Name));
            }
            else if (diagnostics.Count == 0 && layersBound)
            {
                foreach (AttributeData prefer in type.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() == PreferAttribute))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    PreferenceModel? preference = ExtractPreference(prefer, type.Name, layers, diagnostics, cancellationToken);
                    if (preference != null)
                    {
                        preferences.Add(preference);
                    }
                }
            }

            if (diagnostics.Count > 0 || !layersBound)
            {
                return new ExtractionResult(null, new EquatableArray<DiagnosticInfo>(diagnostics));
            }

            // Names as the compiler knows them (no '@'): the namespace is escaped where it is written, the hint name
            // made of characters every file system and the compiler accept.
            string? ns = type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(PlainNames);
            string fullName = FullNameOf(type);
            var model = new NetworkModel(ns, type.Name, Keyword(type), new EquatableArray<string>(containing), inputs,
                new EquatableArray<LayerModel>(layers), new EquatableArray<PreferenceModel>(preferences),
                GeneratedText.HintName(fullName.Replace('+', '.').Replace('<', '[').Replace('>', ']')))
            {
                FullName = fullName,
            };
            if (modelFile != null)
            {
                Location? where = NamedArgumentLocation(network, "Model", cancellationToken) ?? networkLocation;
                return new ExtractionResult(null, EquatableArray<DiagnosticInfo>.Empty,
                    new PendingModel(model with { ModelFile = modelFile }, modelFile, LocationInfo.From(where), hasPrefer));
            }

            return new ExtractionResult(model, EquatableArray<DiagnosticInfo>.Empty);
        }

        /// <summary>Namespaces, containing types and type parameters, without the verbatim '@' of keywords.</summary>
        private static readonly SymbolDisplayFormat PlainNames = new SymbolDisplayFormat(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces,
            genericsOptions: SymbolDisplayGenericsOptions.IncludeTypeParameters);

        /// <summary>The namespace, then the containing types and the type joined by '+' (as the runtime names them), no '@'.</summary>
        private static string FullNameOf(INamedTypeSymbol type)
        {
            string name = type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat.WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.None));
            for (INamedTypeSymbol? outer = type.ContainingType; outer != null; outer = outer.ContainingType)
            {
                name = outer.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat.WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.None)) + "+" + name;
            }

            return type.ContainingNamespace.IsGlobalNamespace ? name : type.ContainingNamespace.ToDisplayString(PlainNames) + "." + name;
        }

        /// <summary>The members of GenBias.PreferenceRelation, PreferenceDistribution and EnforcementMethod, by value (from the shared rules).</summary>
        internal static readonly string[] Relations = PreferenceRules.RelationNames;
        internal static readonly string[] Distributions = PreferenceRules.DistributionNames;
        internal static readonly string[] Methods = PreferenceRules.MethodNames;

        private static PreferenceModel? ExtractPreference(AttributeData prefer, string typeName, List<LayerModel> layers,
            List<DiagnosticInfo> diagnostics, CancellationToken ct)
        {
            Location? at = prefer.ApplicationSyntaxReference?.GetSyntax(ct).GetLocation();
            // A duplicated named argument is the compiler's error (CS0643); the first one counts here.
            var named = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, TypedConstant> argument in prefer.NamedArguments)
            {
                if (!named.ContainsKey(argument.Key))
                {
                    named.Add(argument.Key, argument.Value.Value);
                }
            }

            double Get(string name, double fallback) => named.TryGetValue(name, out object? v) && v is double d ? d : fallback;
            int GetInt(string name, int fallback) => named.TryGetValue(name, out object? v) && v is int i ? i : fallback;
            Location? Where(string name) => NamedArgumentLocation(prefer, name, ct) ?? at;
            int before = diagnostics.Count;

            string[] relations = Relations.Where(r => !double.IsNaN(Get(r, double.NaN))).ToArray();
            if (relations.Length != 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RelationCount, at, typeName,
                    relations.Length == 0 ? "none of them" : string.Join(" and ", relations)));
            }

            foreach (string relation in relations.Concat(new[] { "Tolerance" }))
            {
                double value = Get(relation, 0.01);
                if (!(value >= 0 && value <= 1))
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FractionOutOfRange, Where(relation), typeName, relation,
                        value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }
            }

            double above = Get("Above", double.NaN), below = Get("Below", double.NaN);
            double lower = double.IsNaN(above) ? double.NegativeInfinity : above;
            double upper = double.IsNaN(below) ? double.PositiveInfinity : below;
            if (double.IsNaN(above) && double.IsNaN(below))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmptyInterval, at, typeName, "sets neither Above nor Below"));
            }
            else if (!(lower < upper))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmptyInterval, Where("Below"), typeName,
                    $"asks for activations above {Format(lower)} and below {Format(upper)}, which is empty"));
            }

            int layer = GetInt("Layer", -1), neuron = GetInt("Neuron", 0);
            bool all = named.TryGetValue("AllNeurons", out object? allValue) && allValue is bool b && b;
            int layerIndex = layer < 0 ? layers.Count + layer : layer;
            if (layerIndex < 0 || layerIndex >= layers.Count || (!all && (neuron < 0 || neuron >= layers[layerIndex].Width)))
            {
                string which = layerIndex < 0 || layerIndex >= layers.Count ? $"layer {layer}" : $"neuron {neuron} of layer {layer}";
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NeuronOutOfRange, Where(layerIndex < 0 || layerIndex >= layers.Count ? "Layer" : "Neuron"),
                    typeName, which, (layers.Count - 1).ToString(), string.Join(", ", layers.Select(l => l.Width))));
            }

            int distribution = GetInt("Over", 0), method = GetInt("Method", 0);
            if (distribution == 2)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedPreference, Where("Over"), typeName,
                    "a product distribution needs per-input probabilities, which an attribute cannot hold; build the Preference at run time"));
            }
            else if (distribution < 0 || distribution > 2 || method < 0 || method > 3)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedPreference, at, typeName,
                    "Over or Method is not a defined value"));
            }
            else if (diagnostics.Count == before)
            {
                // The runtime's rule (PreferenceRules, linked from src/GenBias), reported where it is written.
                var facts = new PreferenceFacts
                {
                    Layer = layer, Neuron = all ? (int?)null : neuron, Lower = lower, Upper = upper, Relation = System.Array.IndexOf(Relations, relations[0]),
                    Target = Get(relations[0], 0), Tolerance = Get("Tolerance", 0.01), Distribution = distribution, Method = method,
                };
                PreferenceVerdict verdict = PreferenceRules.Check(facts, layers[0].InputCount, layers.Select(l => l.Width).ToList(), layers.Select(l => l.Activation).ToList());
                string activation = verdict.IsValid ? "" : layers[layerIndex].Activation;
                diagnostics.AddRange(verdict.Problem switch
                {
                    PreferenceProblem.None => new DiagnosticInfo[0],
                    PreferenceProblem.OutsideRange => new[] { DiagnosticInfo.Create(DiagnosticDescriptors.IntervalOutsideRange, at, typeName,
                        $"in ({Format(lower)}, {Format(upper)})", activation, PreferenceRules.DescribeRange(activation, lower, upper, false, false)) },
                    PreferenceProblem.Projection => new[] { DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedPreference, Where("Method"), typeName,
                        "Projection clamps a first-layer neuron's bias, so it needs a single neuron of layer 0, an interval open on one side (Above or Below alone), " +
                        $"an activation other than TernaryStep, Over = UniformCube and at most {PreferenceRules.MaxProjectionInputs} inputs; use ProxyLagrangian or Penalty otherwise") },
                    PreferenceProblem.Calibration => new[] { DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedPreference, Where("Method"), typeName,
                        "Calibration shifts the output bias, so it needs the single output neuron, an interval open on one side (Above or Below alone), " +
                        "an output activation other than TernaryStep, and Over = UniformCube; use ProxyLagrangian or Penalty otherwise") },
                    _ => new[] { DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedPreference, at, typeName, verdict.Message) },
                });
            }

            if (diagnostics.Count > before)
            {
                return null;
            }

            string relationName = relations[0];
            return new PreferenceModel(layer, all ? -1 : neuron, lower, upper, relationName, Get(relationName, 0), Get("Tolerance", 0.01),
                Distributions[distribution], Methods[method]);
        }

        private static string Format(double value) =>
            double.IsPositiveInfinity(value) ? "∞" : double.IsNegativeInfinity(value) ? "-∞" : value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

        private static string Keyword(INamedTypeSymbol type) =>
            type.IsRecord ? (type.IsValueType ? "record struct" : "record class")
            : type.TypeKind == TypeKind.Struct ? "struct"
            : type.TypeKind == TypeKind.Interface ? "interface"
            : "class";

        private static Location? PositionalArgumentLocation(AttributeData attribute, int position, CancellationToken ct)
        {
            if (attribute.ApplicationSyntaxReference?.GetSyntax(ct) is AttributeSyntax syntax)
            {
                List<AttributeArgumentSyntax> positional = syntax.ArgumentList?.Arguments
                    .Where(a => a.NameEquals == null).ToList() ?? new List<AttributeArgumentSyntax>();
                return position < positional.Count ? positional[position].GetLocation() : syntax.GetLocation();
            }

            return null;
        }

        private static Location? NamedArgumentLocation(AttributeData attribute, string name, CancellationToken ct)
        {
            if (attribute.ApplicationSyntaxReference?.GetSyntax(ct) is AttributeSyntax syntax && syntax.ArgumentList != null)
            {
                foreach (AttributeArgumentSyntax argument in syntax.ArgumentList.Arguments)
                {
                    if (argument.NameEquals?.Name.Identifier.ValueText == name)
                    {
                        return argument.GetLocation();
                    }
                }
            }

            return null;
        }
    }
}
