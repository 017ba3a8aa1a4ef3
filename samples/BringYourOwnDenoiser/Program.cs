// An app that keeps its own denoising loop and takes only Conditioning's tensors.
//   dotnet run --project samples/BringYourOwnDenoiser -- [SD-style model folder]
return await Samples.BringYourOwnDenoiser.RunAsync(args);
