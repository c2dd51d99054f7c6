using GenBias.Tool;

return GenBiasTool.Run(args);
