import '../test/plugins/helpers/wat.js'; console.log('ok wat');
