import '../src/plugins/host.js'; console.log('ok host');
