using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace GenBias.Generators
{
    /// <summary>
    /// Every diagnostic the generator reports. Ids are stable (GB0001…); each message says how to fix the spec.
    /// </summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "GenBias.Spec";

        /// <summary>
        /// The page that explains every diagnostic, relative to the repository's root; each diagnostic's help link is
        /// its anchor there (GB0001 → <c>docs/diagnostics.md#gb0001</c>).
        /// </summary>
        internal const string HelpPage = "docs/diagnostics.md";

        /// <summary>GB0001: the class must be partial so the generator can add members to it.</summary>
        public static readonly DiagnosticDescriptor NotPartial = Error("GB0001",
            "The network class must be partial",
            "'{0}' must be declared partial so GenBias can add the network's code; write 'partial class {0}'");

        /// <summary>GB0002: a containing type is not partial, so the generated part cannot be nested in it.</summary>
        public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Error("GB0002",
            "Every type containing a network class must be partial",
            "'{0}' is nested in '{1}', which is not partial; declare '{1}' partial as well");

        /// <summary>GB0003: generic network classes are not supported.</summary>
        public static readonly DiagnosticDescriptor Generic = Error("GB0003",
            "The network class must not be generic",
            "'{0}' has type parameters; a [TernaryNetwork] class cannot be generic: remove the type parameters");

        /// <summary>GB0004: no layers declared.</summary>
        public static readonly DiagnosticDescriptor NoLayers = Error("GB0004",
            "The network has no layers",
            "'{0}' has no layers; add at least one [Dense(width, Activation.X)] after [TernaryNetwork], the last being the output layer");

        /// <summary>GB0005: width out of range.</summary>
        public static readonly DiagnosticDescriptor WidthOutOfRange = Error("GB0005",
            "A layer width is out of range",
            "Layer {0} of '{1}' has width {2}; a layer has 1 to {3} neurons");

        /// <summary>GB0006: Inputs out of range (including not set).</summary>
        public static readonly DiagnosticDescriptor InputsOutOfRange = Error("GB0006",
            "Inputs is out of range",
            "'{0}' has Inputs = {1}; set [TernaryNetwork(Inputs = n)] with n from 1 to {2}");

        /// <summary>GB0007: an activation value that is not a member of the enum.</summary>
        public static readonly DiagnosticDescriptor UndefinedActivation = Error("GB0007",
            "The activation is not defined",
            "Layer {0} of '{1}' uses activation value {2}, which GenBias does not define; use Activation.Tanh, HardTanh, Sigmoid, ReLU, Linear or TernaryStep");

        /// <summary>GB0008: more than one [TernaryNetwork] on one class.</summary>
        public static readonly DiagnosticDescriptor DuplicateNetwork = Error("GB0008",
            "[TernaryNetwork] is declared more than once",
            "'{0}' has more than one [TernaryNetwork]; declare it once, on one part of the class");

        /// <summary>GB0009: more layers than supported.</summary>
        public static readonly DiagnosticDescriptor TooManyLayers = Error("GB0009",
            "Too many layers",
            "'{0}' declares {1} [Dense] layers; a network has at most {2}");

        /// <summary>GB0010: [Dense] on a class without [TernaryNetwork].</summary>
        public static readonly DiagnosticDescriptor DenseWithoutNetwork = Error("GB0010",
            "[Dense] needs [TernaryNetwork]",
            "'{0}' has [Dense] layers but no [TernaryNetwork]; add [TernaryNetwork(Inputs = n)] to the class");

        /// <summary>GB0011: static classes cannot hold a network's parameters.</summary>
        public static readonly DiagnosticDescriptor StaticClass = Error("GB0011",
            "The network class must not be static",
            "'{0}' is static; a network holds its parameters in an instance, so remove 'static'");

        /// <summary>GB0012: a fraction outside [0, 1].</summary>
        public static readonly DiagnosticDescriptor FractionOutOfRange = Error("GB0012",
            "A preference's fraction is outside [0, 1]",
            "[Prefer] on '{0}' sets {1} = {2}; a fraction of inputs must be between 0 and 1");

        /// <summary>GB0013: not exactly one of AtLeast, AtMost, About.</summary>
        public static readonly DiagnosticDescriptor RelationCount = Error("GB0013",
            "A preference needs exactly one relation",
            "[Prefer] on '{0}' sets {1}; set exactly one of AtLeast, AtMost or About");

        /// <summary>GB0014: no interval, or an empty one.</summary>
        public static readonly DiagnosticDescriptor EmptyInterval = Error("GB0014",
            "A preference's interval is missing or empty",
            "[Prefer] on '{0}' {1}; set Above, Below, or both with Above < Below");

        /// <summary>GB0015: the interval lies outside what the activation can produce.</summary>
        public static readonly DiagnosticDescriptor IntervalOutsideRange = Error("GB0015",
            "A preference's interval is outside the activation's range",
            "[Prefer] on '{0}' asks for activations {1}, but {2} produces values in {3}, so no input can meet it");

        /// <summary>GB0016: the layer or neuron does not exist.</summary>
        public static readonly DiagnosticDescriptor NeuronOutOfRange = Error("GB0016",
            "A preference's neuron does not exist",
            "[Prefer] on '{0}' names {1}, which does not exist; the network has layers 0 to {2} (-1 is the output) and layer widths {3}");

        /// <summary>GB0017: a setting the attribute cannot express.</summary>
        public static readonly DiagnosticDescriptor UnsupportedPreference = Error("GB0017",
            "A preference setting is not supported in the attribute",
            "[Prefer] on '{0}': {1}");

        /// <summary>GB0018: a struct, record struct or interface cannot hold a network's state.</summary>
        public static readonly DiagnosticDescriptor NotAClass = Error("GB0018",
            "A network must be a class or a record class",
            "'{0}' is {1}; a network holds its parameters and tables by reference, so declare it as a partial class or partial record class");

        /// <summary>GB0019: [Dense] on two partial declarations would make the layer order depend on file order.</summary>
        public static readonly DiagnosticDescriptor DenseOnSeveralDeclarations = Error("GB0019",
            "Layers are declared on more than one partial declaration",
            "'{0}' has [Dense] layers on more than one partial declaration, so their order would follow the order of files; put every [Dense] on one declaration");

        /// <summary>GB0020: a file-local type cannot be extended from the generated file.</summary>
        public static readonly DiagnosticDescriptor FileLocal = Error("GB0020",
            "A network cannot be file-local",
            "'{0}' is declared 'file', so the generated code (another file) cannot add to it; remove the 'file' modifier");

        /// <summary>GB0021: [Prefer] on a class that has no [TernaryNetwork].</summary>
        public static readonly DiagnosticDescriptor PreferWithoutNetwork = Error("GB0021",
            "[Prefer] needs [TernaryNetwork]",
            "'{0}' has [Prefer] but no [TernaryNetwork(Inputs = n)], so nothing would use it; add the network attribute and its [Dense] layers");

        /// <summary>GB0022: a member of the user's class has a name the generator uses.</summary>
        public static readonly DiagnosticDescriptor ReservedMemberName = Error("GB0022",
            "A member name is used by the generated code",
            "{0} has a name the generated network code uses{1}; rename it (GenBias generates {2})");

        /// <summary>GB0023: a network deriving from another network would hide every generated member.</summary>
        public static readonly DiagnosticDescriptor DerivedNetwork = Error("GB0023",
            "A network cannot derive from another network",
            "'{0}' derives from '{1}', which is a network already, so every generated member would hide one of the base; derive from object (share code by composition) or drop [TernaryNetwork] here");

        /// <summary>GB0024: the model file named by Model is not among the compilation's AdditionalFiles.</summary>
        public static readonly DiagnosticDescriptor ModelFileMissing = Error("GB0024",
            "The model file is not an AdditionalFiles item",
            "'{0}' names the model file '{1}', which is not among the project's AdditionalFiles{2}; add <AdditionalFiles Include=\"{1}\" /> to the project file");

        /// <summary>GB0025: the model file cannot be read, is not JSON, or is not a valid GenBias model.</summary>
        public static readonly DiagnosticDescriptor ModelFileInvalid = Error("GB0025",
            "The model file is invalid",
            "'{0}' cannot be compiled from its model file: {1}");

        /// <summary>GB0026: [TernaryNetwork(Inputs)] or [Dense] disagree with the shape in the model file.</summary>
        public static readonly DiagnosticDescriptor ModelShapeMismatch = Error("GB0026",
            "The declared shape disagrees with the model file",
            "'{0}' declares {1}, but its model file '{2}' holds {3}; make them agree, or drop Inputs and [Dense] to take the shape from the file");

        /// <summary>GB0027: a model with preferences over the cube whose first layer is off the grid cannot be counted exactly.</summary>
        public static readonly DiagnosticDescriptor ModelOffGrid = new DiagnosticDescriptor("GB0027",
            "The model's first layer is off the exact grid",
            "'{0}': the model file '{1}' declares preferences over the cube, but its first layer is not on FixedPointGrid ({2}), so no exact count can certify them; snap it (FixedPointGrid.SnapFirstLayer) before saving",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("GB0027"));

        /// <summary>GB0028: [Prefer] on a network whose shape comes from its model file alone.</summary>
        public static readonly DiagnosticDescriptor ModelPreferWithoutDense = Error("GB0028",
            "[Prefer] on a compiled-in model needs the declared shape",
            "'{0}' takes its shape from its model file, so [Prefer] cannot be checked where it is written; declare Inputs and the [Dense] layers too, or keep the preferences in the model file");

        /// <summary>GB0029: a network compiled from a model gets its parameterless constructor from the generator.</summary>
        public static readonly DiagnosticDescriptor ModelConstructor = Error("GB0029",
            "A compiled-in model's constructor is generated",
            "'{0}' declares a parameterless constructor, but a network compiled from a model file gets one that loads the compiled-in parameters; remove it (or add a constructor with parameters that calls this())");

        /// <summary>GB0030: the generator failed on one network; the others are still generated.</summary>
        public static readonly DiagnosticDescriptor GeneratorFailure = Error("GB0030",
            "GenBias could not generate a network",
            "GenBias could not generate '{0}' ({1}); the other networks are generated. Please report this with the declaration.");

        /// <summary>GB0031: the project compiles an older C# than the generated code needs.</summary>
        public static readonly DiagnosticDescriptor LanguageVersionTooLow = Error("GB0031",
            "The C# language version is too old for GenBias",
            "'{0}' is compiled as C# {1}, but the code GenBias generates needs C# {2} or later; set <LangVersion> to {2} or later in the project file (or remove it: net10.0 projects default to a newer version)");

        private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = new[]
        {
            NotPartial, ContainingTypeNotPartial, Generic, NoLayers, WidthOutOfRange, InputsOutOfRange,
            UndefinedActivation, DuplicateNetwork, TooManyLayers, DenseWithoutNetwork, StaticClass,
            FractionOutOfRange, RelationCount, EmptyInterval, IntervalOutsideRange, NeuronOutOfRange, UnsupportedPreference,
            NotAClass, DenseOnSeveralDeclarations, FileLocal, PreferWithoutNetwork, ReservedMemberName, DerivedNetwork,
            ModelFileMissing, ModelFileInvalid, ModelShapeMismatch, ModelOffGrid, ModelPreferWithoutDense, ModelConstructor,
            GeneratorFailure, LanguageVersionTooLow,
        }.ToDictionary(d => d.Id);

        public static DiagnosticDescriptor ById(string id) => s_byId[id];

        /// <summary>The help link of a diagnostic: its section of <see cref="HelpPage"/>.</summary>
        internal static string HelpLink(string id) => HelpPage + "#gb" + id.Substring(2);

        private static DiagnosticDescriptor Error(string id, string title, string message) =>
            new DiagnosticDescriptor(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink(id));
    }
}
